"""A file larger than `chunk_mib` is standardized in chunks on one worker, or in pieces on every worker at once: the
lake ends up exactly the same either way."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipelines.config import load_settings
from pipelines.flows import clean as clean_flow
from pipelines.lake import delta
from pipelines.lake.layout import Zone
from pipelines.lake.ledger import read_ledger
from pipelines.lake.storage import Lake
from pipelines.sources.registry import get_source
from tests.conftest import DATA_DIR, beijing_slice

pytestmark = pytest.mark.slow
ARRIVED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_chunked_and_whole_files_give_the_same_lake(tmp_path, dask_client) -> None:
    feed = get_source("air_beijing")
    huairou = beijing_slice("Huairou", 24 * 30).splitlines(keepends=True)
    huairou[10] = huairou[10].replace(b'"Huairou"', b'"Shunyi"')  # a row for another station
    huairou.insert(200, huairou[150])  # a row delivered twice
    deliveries = {
        "PRSA_Data_Huairou_20130301-20170228.csv": b"".join(huairou),
        "PRSA_Data_Dingling_20130301-20170228.csv": beijing_slice("Dingling", 24 * 30),
    }
    lakes = {}
    ways = (("whole", 256.0, False), ("chunks", 0.005, False), ("pieces", 0.005, True))  # 5 KiB: about 70 per file
    for label, chunk_mib, split in ways:
        settings = load_settings(
            lake_uri=str(tmp_path / label), chunk_mib=chunk_mib, split_large_files=split, data_dir=DATA_DIR, dask_workers=2
        )
        lake = Lake(settings)
        lake.ensure_exists()
        for name, content in deliveries.items():
            lake.write_bytes(f"{lake.layout.landing_dir(feed.name)}/{name}", content)
        clean_flow.ingest(settings, feed, "run", ARRIVED)
        summary = clean_flow.clean(settings, feed, "run", dask_client)
        assert (summary.rows_in, summary.rows_clean, summary.rows_quarantined, summary.rows_deduplicated) == (
            2 * 24 * 30 + 1,
            2 * 24 * 30 - 1,
            1,
            1,
        )
        lakes[label] = lake
    for zone, name, order in (
        (Zone.CLEAN, "air_quality_hourly", ["station", "ts_utc"]),
        (Zone.QUARANTINE, "air_quality_hourly", ["source_file", "source_line"]),
    ):
        whole, chunks = (
            delta.read_table(lakes[k], lakes[k].layout.table(zone, name)).sort_values(order).reset_index(drop=True)
            for k in ("whole", "chunks")
        )
        pd.testing.assert_frame_equal(whole, chunks)
        pieces = delta.read_table(lakes["pieces"], lakes["pieces"].layout.table(zone, name))
        pd.testing.assert_frame_equal(whole, pieces.sort_values(order).reset_index(drop=True))
    columns = ["source_partition", "rows_in", "rows_clean", "rows_quarantined", "rows_deduplicated", "gaps"]
    for label in ("chunks", "pieces"):
        assert read_ledger(lakes["whole"])[columns].values.tolist() == read_ledger(lakes[label])[columns].values.tolist()
        part_files = lakes[label].glob(f"{lakes[label].layout.table(Zone.CLEAN, 'air_quality_hourly')}/station=Huairou/*.parquet")
        assert len(part_files) > 1  # written bucket by bucket
    assert lakes["pieces"].fs.find(f"{lakes['pieces'].layout.zone(Zone.META)}/spill") == []  # the spill is removed
