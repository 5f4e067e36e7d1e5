"""landing -> raw: the same file twice changes nothing; a changed file is a new version that supersedes."""

from __future__ import annotations

import datetime as dt
import json

from pipelines.lake.ingest import current_raw_files, ingest_landing
from pipelines.lake.storage import Lake
from pipelines.sources.registry import get_source

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
AIR_BEIJING = get_source("air_beijing")


def drop(lake: Lake, name: str, content: bytes) -> None:
    lake.write_bytes(f"{lake.layout.landing_dir(AIR_BEIJING.name)}/{name}", content)


def test_ingest_is_idempotent_and_versions_changed_files(settings) -> None:
    lake = Lake(settings)
    name = "PRSA_Data_Test_20130301-20170228.csv"
    drop(lake, name, b"h\n1\n2\n")
    first = ingest_landing(lake, AIR_BEIJING, "run1", T0)
    assert [(r.file_name, r.bytes, r.rows) for r in first.new] == [(name, 6, 2)]
    second = ingest_landing(lake, AIR_BEIJING, "run2", T0 + dt.timedelta(hours=1))
    assert second.new == [] and [r.ingest_run_id for r in second.unchanged] == ["run1"]
    assert len(lake.glob(f"{lake.layout.manifest_dir(AIR_BEIJING.name)}/*/*.json")) == 1

    drop(lake, name, b"h\n1\n2\n3")  # re-delivered with one more row and no final newline
    third = ingest_landing(lake, AIR_BEIJING, "run3", T0 + dt.timedelta(hours=2))
    assert [(r.rows, r.bytes) for r in third.new] == [(3, 7)]
    current = current_raw_files(lake, AIR_BEIJING)
    assert [(c.ingest_run_id, c.rows) for c in current] == [("run3", 3)]
    assert lake.read_bytes(current[0].raw_path) == b"h\n1\n2\n3"
    # the first version stays in raw, immutable
    assert lake.read_bytes(first.new[0].raw_path) == b"h\n1\n2\n"
    manifest = json.loads(lake.read_bytes(lake.layout.manifest(AIR_BEIJING.name, name, first.new[0].sha256)))
    assert manifest["sha256"] == first.new[0].sha256 and manifest["arrived_at"] == "2026-01-01T00:00:00+00:00"
