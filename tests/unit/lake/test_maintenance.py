"""Housekeeping removes orphans and replaced files, changes no data, and does not defeat idempotency."""

from __future__ import annotations

import datetime as dt
import os
import time

import pandas as pd
import pyarrow as pa

from pipelines.config import load_settings
from pipelines.lake import delta
from pipelines.lake.layout import Zone
from pipelines.lake.maintenance import maintain_lake, remove_stale_spill, remove_unreferenced_files
from pipelines.lake.storage import Lake

SCHEMA = pa.schema([pa.field("station", pa.string()), pa.field("aqi", pa.int64())])


def test_orphans_and_replaced_files_go_the_data_stays(settings) -> None:
    lake = Lake(settings)
    uri = lake.layout.table(Zone.CURATED, "air_aqi_daily")
    delta.publish_frame(
        lake, uri, pd.DataFrame({"station": ["A", "B"], "aqi": [50, 80]}), SCHEMA, ("station",), None, "r1", "key-1"
    )
    delta.publish_frame(
        lake, uri, pd.DataFrame({"station": ["A"], "aqi": [55]}), SCHEMA, ("station",), {"station": ["A"]}, "r2", "key-2"
    )
    orphan = f"{uri}/station=A/part-crashed-run.parquet"  # a run that died before its commit
    lake.write_bytes(orphan, b"PAR1 half a file")

    assert remove_unreferenced_files(lake, uri, dt.timedelta(days=7)) == []  # young files are kept
    assert lake.exists(orphan)
    removed = remove_unreferenced_files(lake, uri, dt.timedelta(0))
    assert len(removed) == 2 and removed[0] == "station=A/part-crashed-run.parquet"  # the orphan + the replaced part
    assert removed[1].startswith("station=A/part-r1-")
    assert not lake.exists(orphan)
    assert delta.read_table(lake, uri).sort_values("station").values.tolist() == [["A", 55], ["B", 80]]
    from deltalake import DeltaTable

    on_disk = sorted(f"{d}/{f}" for d in os.listdir(uri) if d.startswith("station=") for f in os.listdir(f"{uri}/{d}"))
    assert on_disk == sorted(p.removeprefix(uri + "/") for p in DeltaTable(uri).file_uris())  # only what the table uses

    # the vacuum's own commits are not CityLake writes: the same publish is still recognised as done
    again = delta.publish_frame(
        lake, uri, pd.DataFrame({"station": ["A"], "aqi": [55]}), SCHEMA, ("station",), {"station": ["A"]}, "r3", "key-2"
    )
    assert again.skipped_as_duplicate
    assert maintain_lake(lake, dt.timedelta(0)) == {"curated/air_aqi_daily": 0}


def test_a_dead_runs_spill_is_removed_once_older_than_the_retention(tmp_path) -> None:
    lake = Lake(load_settings(lake_uri=str(tmp_path / "lake")))
    lake.ensure_exists()
    assert remove_stale_spill(lake) == []  # no spill folder yet
    old, young = (f"{lake.layout.spill_dir()}/{run}-0123456789abcdef/bucket=0000/piece-000000.parquet" for run in ("r1", "r2"))
    lake.write_bytes(old, b"rows")
    lake.write_bytes(young, b"rows")
    eight_days_ago = time.time() - 8 * 86_400
    os.utime(old, (eight_days_ago, eight_days_ago))
    assert remove_stale_spill(lake, dt.timedelta(days=7)) == [old]
    assert not lake.exists(old) and lake.exists(young)
    assert maintain_lake(lake, dt.timedelta(0)) == {"_meta/spill": 1}
    assert not lake.exists(young)
