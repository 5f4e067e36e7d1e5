"""A late or corrected delivery reopens only its own partitions: the water feed on Dask, split into monthly files."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pipelines.flows import clean as clean_flow
from pipelines.lake import delta
from pipelines.lake.layout import Zone
from pipelines.lake.ledger import read_ledger
from pipelines.lake.storage import Lake
from pipelines.sources.registry import get_source
from tests.conftest import DATA_DIR, require_data

pytestmark = pytest.mark.slow
ARRIVED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def months() -> dict[str, bytes]:
    lines = require_data(DATA_DIR / "energy" / "water_flow.csv").read_bytes().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    by_month: dict[str, list[bytes]] = {}
    for row in rows:
        by_month.setdefault(row[5:7].decode(), []).append(row)  # "2022-03-..." -> "03"
    return {month: header + b"".join(body) for month, body in sorted(by_month.items())}


def files_of(lake: Lake, uri: str, name: str) -> list[str]:
    from deltalake import DeltaTable

    return sorted(f for f in DeltaTable(uri, storage_options=lake.storage_options()).file_uris() if name in f)


def test_only_the_redelivered_and_the_late_files_are_reprocessed(settings, dask_client) -> None:
    feed = get_source("pipe_flow")
    lake = Lake(settings)
    lake.ensure_exists()
    landing = lake.layout.landing_dir(feed.name)
    parts = months()
    assert sorted(parts) == ["03", "04", "05"]
    for month in ("03", "04"):
        lake.write_bytes(f"{landing}/water_flow_2022{month}.csv", parts[month])
    with pytest.raises(clean_flow.NothingDelivered, match="no raw files for source pipe_flow: deliver files to"):
        clean_flow.pending_files(settings, feed)
    clean_flow.ingest(settings, feed, "r1", ARRIVED)
    assert clean_flow.pending_files(settings, feed) == ["water_flow_202203.csv", "water_flow_202204.csv"]
    first = clean_flow.clean(settings, feed, "r1", dask_client)
    uri = lake.layout.table(Zone.CLEAN, "water_readings")
    march_rows = parts["03"].count(b"\n") - 1
    april_rows = parts["04"].count(b"\n") - 1
    assert first.partitions == ["water_flow_202203.csv", "water_flow_202204.csv"]
    assert first.rows_clean == march_rows + april_rows
    docs = lake.layout.validations_dir("water_readings", "r1")  # GX's results and Data Docs of the run, per file
    assert sorted(p.rsplit("/", 1)[1] for p in lake.glob(f"{docs}/*")) == [
        "index.html",
        "water_flow_202203.csv.html",
        "water_flow_202203.csv.json",
        "water_flow_202204.csv.html",
        "water_flow_202204.csv.json",
    ]
    result = json.loads(lake.read_bytes(f"{docs}/water_flow_202203.csv.json"))
    assert result["success"] and result["results"][0]["result"]["element_count"] == march_rows
    assert "water_flow_202203.csv.html" in lake.read_bytes(f"{docs}/index.html").decode()
    march_files = files_of(lake, uri, "water_flow_202203.csv")

    # April is delivered again with one reading corrected and one withdrawn; May arrives late
    april = parts["04"].splitlines(keepends=True)
    corrected_time = april[1].split(b",")[0]
    april[1] = corrected_time + b",123.45\n"
    del april[2]
    lake.write_bytes(f"{landing}/water_flow_202204.csv", b"".join(april))
    lake.write_bytes(f"{landing}/water_flow_202205.csv", parts["05"])
    assert len(clean_flow.ingest(settings, feed, "r2", ARRIVED + dt.timedelta(days=1)).new) == 2
    assert clean_flow.pending_files(settings, feed) == ["water_flow_202204.csv", "water_flow_202205.csv"]
    second = clean_flow.clean(settings, feed, "r2", dask_client)
    assert second.partitions == ["water_flow_202204.csv", "water_flow_202205.csv"]
    assert files_of(lake, uri, "water_flow_202203.csv") == march_files  # March untouched

    table = delta.read_table(lake, uri)
    may_rows = parts["05"].count(b"\n") - 1
    assert len(table) == march_rows + april_rows - 1 + may_rows
    assert table["ts_utc"].is_unique
    corrected = table[table["source_file"] == "water_flow_202204.csv"].sort_values("ts_utc").iloc[0]
    assert corrected["flow_l_s"] == 123.45
    ledger = read_ledger(lake, "water_readings")
    assert ledger[["source_partition", "rows_clean", "run_id"]].values.tolist() == [
        ["water_flow_202203.csv", march_rows, "r1"],
        ["water_flow_202204.csv", april_rows - 1, "r2"],
        ["water_flow_202205.csv", may_rows, "r2"],
    ]
    # and nothing new: nothing reprocessed, which a scheduled run learns without starting Dask
    assert clean_flow.pending_files(settings, feed) == []
    assert clean_flow.clean(settings, feed, "r3", dask_client).skipped_as_duplicate
