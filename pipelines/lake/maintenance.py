"""Lake housekeeping: delete the files no table version needs any more.

A run that crashes after its workers wrote part files but before its commit leaves those files in the
table's folder, referenced by no version (readers never see them: a Delta table is what its log says).
Delta's full vacuum deletes every unreferenced file older than the retention: such orphans, and the
files that later commits replaced. The retention must exceed the longest run (a running job's parts are
not yet referenced) and the time travel readers need; the daily `lake_maintenance` DAG uses 7 days.
"""

from __future__ import annotations

import datetime as dt
import logging

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


def maintain_lake(lake: Lake, older_than: dt.timedelta = DEFAULT_RETENTION) -> dict[str, int]:
    """Every table of the lake: how many unreferenced files were removed from each."""
    return {
        table.uri.removeprefix(lake.layout.root + "/"): len(remove_unreferenced_files(lake, table.uri, older_than))
        for table in stored_tables(lake)
    }
