"""Lake housekeeping: delete the files no table version needs any more.

A run that crashes after its workers wrote part files but before its commit leaves those files in the
table's folder, referenced by no version (readers never see them: a Delta table is what its log says).
Delta's full vacuum deletes every unreferenced file older than the retention: such orphans, and the
files that later commits replaced. The retention must exceed the longest run (a running job's parts are
not yet referenced) and the time travel readers need; the daily `lake_maintenance` DAG uses 7 days.
A clean run whose client died while it cut a large file into pieces leaves that file's spill under
`_meta/spill/`: removed once older than the same retention.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from pipelines.lake.delta import stored_tables
from pipelines.lake.storage import Lake

log = logging.getLogger(__name__)
DEFAULT_RETENTION = dt.timedelta(days=7)


def _data_files(lake: Lake, table_uri: str) -> set[str]:
    """The table's files outside its log, relative to its folder."""
    root = table_uri.removeprefix("s3://").rstrip("/")
    return {
        path.removeprefix("s3://").removeprefix(root + "/")
        for path in lake.fs.find(table_uri)
        if "/_delta_log/" not in path.removeprefix("s3://").removeprefix(root)
    }


def remove_unreferenced_files(lake: Lake, table_uri: str, older_than: dt.timedelta = DEFAULT_RETENTION) -> list[str]:
    """Delete the table's files that no version references and that are older than `older_than`; those deleted."""
    from deltalake import DeltaTable

    before = _data_files(lake, table_uri)
    DeltaTable(table_uri, storage_options=lake.storage_options()).vacuum(
        retention_hours=int(older_than.total_seconds() // 3600), dry_run=False, enforce_retention_duration=False, full=True
    )
    removed = sorted(before - _data_files(lake, table_uri))  # what is really gone (vacuum also names long-gone files)
    if removed:
        log.info("%s: removed %d unreferenced files older than %s", table_uri, len(removed), older_than)
    return removed


def remove_stale_spill(lake: Lake, older_than: dt.timedelta = DEFAULT_RETENTION) -> list[str]:
    """Delete the spill files older than `older_than` (left by clean runs that died); those deleted."""
    spill = lake.layout.spill_dir()
    if not lake.fs.exists(spill):
        return []
    cutoff = time.time() - older_than.total_seconds()
    stale = sorted(path for path, info in lake.fs.find(spill, detail=True).items() if _modified(info) <= cutoff)
    for path in stale:
        lake.fs.rm(path)
    if stale:
        log.info("%s: removed %d spill files older than %s", spill, len(stale), older_than)
    return stale


def _modified(info: dict[str, Any]) -> float:
    """A file's modification time in seconds (the local disk says `mtime`, S3 `LastModified`)."""
    if "mtime" in info:
        return float(info["mtime"])
    return float(info["LastModified"].timestamp())


def maintain_lake(lake: Lake, older_than: dt.timedelta = DEFAULT_RETENTION) -> dict[str, int]:
    """Every table of the lake, and the spill: how many unreferenced files were removed from each."""
    removed = {
        table.uri.removeprefix(lake.layout.root + "/"): len(remove_unreferenced_files(lake, table.uri, older_than))
        for table in stored_tables(lake)
    }
    spill = remove_stale_spill(lake, older_than)
    return removed | ({lake.layout.spill_dir().removeprefix(lake.layout.root + "/"): len(spill)} if spill else {})
