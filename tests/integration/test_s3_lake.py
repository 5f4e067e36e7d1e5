"""The same pipeline, unchanged, with the lake on a real S3 server (Ceph RGW from ../shared/tools in CI)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid

import pytest

from pipelines.bi.sql import query
from pipelines.config import load_settings
from pipelines.domains.environment import pipeline
from pipelines.lake import delta
from pipelines.lake.layout import Zone
from pipelines.lake.ledger import read_ledger
from pipelines.lake.storage import Lake
from tests.conftest import beijing_slice

pytestmark = [pytest.mark.slow, pytest.mark.s3]
ENDPOINT = os.environ.get("CITYLAKE_TEST_S3_ENDPOINT") or os.environ.get("S3_ENDPOINT_URL")
HOURS = 24 * 10


@pytest.fixture
def s3_settings():
    if not ENDPOINT:
        message = "no S3 endpoint: start ../shared/tools/real-s3-server.sh and export its variables"
        if os.environ.get("CITYLAKE_REQUIRE_S3"):
            pytest.fail(message)
        pytest.skip(message)
    settings = load_settings(
        lake_uri=f"s3://citylake-test-{uuid.uuid4().hex[:12]}/lake",
        s3_endpoint_url=ENDPOINT,
        dask_workers=2,
        io_timeout_seconds=20,
        io_max_retries=3,
    )
    yield settings
    Lake(settings).fs.rm(Lake(settings).bucket(), recursive=True)


def test_pipeline_on_s3_and_marts_read_back(s3_settings, dask_client) -> None:
    lake = Lake(s3_settings)
    lake.ensure_exists()  # creates the bucket through the MinIO SDK
    assert lake.fs.exists(lake.bucket())
    for station in ("Guanyuan", "Wanshouxigong"):
        lake.write_bytes(
            f"{lake.layout.landing_dir('air_beijing')}/PRSA_Data_{station}_20130301-20170228.csv", beijing_slice(station, HOURS)
        )
    arrived = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert len(pipeline.ingest(s3_settings, "s3-run-1", arrived).new) == 2
    summary = pipeline.clean(s3_settings, "s3-run-1", dask_client)
    assert (summary.rows_in, summary.rows_clean, summary.partitions) == (2 * HOURS, 2 * HOURS, ["Guanyuan", "Wanshouxigong"])
    marts = pipeline.build_marts(s3_settings, "s3-run-1", dask_client)
    assert marts["air_aqi_hourly"]["rows"] == 2 * HOURS and marts["air_aqi_daily"]["rows"] == 20

    daily = delta.read_table(lake, lake.layout.table(Zone.CURATED, "air_aqi_daily"))
    assert len(daily) == 20 and daily["aqi"].notna().all()
    via_duckdb = query(s3_settings, "SELECT station, count(*) AS days FROM air_aqi_daily GROUP BY station ORDER BY station")
    assert via_duckdb.values.tolist() == [["Guanyuan", 10], ["Wanshouxigong", 10]]
    assert read_ledger(lake)["rows_in"].tolist() == [HOURS, HOURS]
    assert lake.glob(f"{lake.layout.runs_dir('air_beijing_clean')}/*.json") == [
        f"{lake.layout.runs_dir('air_beijing_clean')}/s3-run-1.json"
    ]

    versions = {n: delta.table_version(lake, lake.layout.table(Zone.CURATED, n)) for n in pipeline.MARTS}
    assert pipeline.ingest(s3_settings, "s3-run-2", arrived).new == []
    assert pipeline.clean(s3_settings, "s3-run-2", dask_client).skipped_as_duplicate
    pipeline.build_marts(s3_settings, "s3-run-2", dask_client)
    assert {n: delta.table_version(lake, lake.layout.table(Zone.CURATED, n)) for n in pipeline.MARTS} == versions


def test_a_large_file_cut_into_pieces_meets_its_buckets_in_the_bucket(s3_settings, dask_client, caplog) -> None:
    """The split path on S3: pieces spill by key to the lake, buckets dedup across pieces, the spill is removed."""
    caplog.set_level(logging.INFO, logger="pipelines.flows.split")
    settings = s3_settings.model_copy(update={"chunk_mib": 0.004})  # 4 KiB chunks: several pieces
    lake = Lake(settings)
    lake.ensure_exists()
    lines = beijing_slice("Guanyuan", HOURS).splitlines(keepends=True)
    lines.insert(len(lines) - 5, lines[3])  # a row delivered twice, far from its first copy (another piece)
    lake.write_bytes(f"{lake.layout.landing_dir('air_beijing')}/PRSA_Data_Guanyuan_20130301-20170228.csv", b"".join(lines))
    pipeline.ingest(settings, "s3-split", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    summary = pipeline.clean(settings, "s3-split", dask_client)
    assert (summary.rows_in, summary.rows_clean, summary.rows_deduplicated, summary.rows_quarantined) == (HOURS + 1, HOURS, 1, 0)
    assert delta.read_table(lake, lake.layout.table(Zone.CLEAN, "air_quality_hourly"))["ts_utc"].is_unique
    assert lake.glob(f"{lake.layout.spill_dir()}/**") == []
    assert [r.getMessage() for r in caplog.records if r.name == "pipelines.flows.split"] == [
        "PRSA_Data_Guanyuan_20130301-20170228.csv: standardized in 6 pieces and 6 buckets"
    ]
