"""S3 faults through a fault-injecting proxy in front of the real S3 server: 503s and 500s, reads slower
than the timeout, the endpoint gone for a while. Bounded retries succeed, or the run fails with a clear
error and nothing is half-published: a rerun once the endpoint is healthy completes, exactly once."""

from __future__ import annotations

import datetime as dt
import os
import random
import time
import uuid

import pytest

from pipelines.config import load_settings
from pipelines.domains.environment import pipeline
from pipelines.lake import delta
from pipelines.lake.layout import Zone
from pipelines.lake.ledger import read_ledger
from pipelines.lake.storage import Lake
from tests.conftest import beijing_slice
from tests.reliability.conftest import repetitions
from tests.reliability.faulty_s3 import Faults, FaultyS3Proxy

pytestmark = [pytest.mark.slow, pytest.mark.s3]
ENDPOINT = os.environ.get("CITYLAKE_TEST_S3_ENDPOINT") or os.environ.get("S3_ENDPOINT_URL")
STATIONS, HOURS = ("Guanyuan", "Wanshouxigong"), 24 * 10
ARRIVED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def upstream() -> str:
    if not ENDPOINT:
        message = "no S3 endpoint: start ../shared/tools/real-s3-server.sh and export its variables"
        if os.environ.get("CITYLAKE_REQUIRE_S3"):
            pytest.fail(message)
        pytest.skip(message)
    return ENDPOINT


def attempt(endpoint: str, lake_uri: str, run_id: str, dask_client, timeout: float = 10, retries: int = 5) -> str | None:
    """One ingest + clean + marts run through `endpoint`; None when it succeeded, else the error it raised."""
    settings = load_settings(
        lake_uri=lake_uri,
        s3_endpoint_url=endpoint,
        io_timeout_seconds=timeout,
        io_max_retries=retries,
        io_connect_timeout_seconds=2,
    )
    try:
        lake = Lake(settings)
        lake.ensure_exists()
        for station in STATIONS:
            path = f"{lake.layout.landing_dir('air_beijing')}/PRSA_Data_{station}_20130301-20170228.csv"
            if not lake.exists(path):
                lake.write_bytes(path, beijing_slice(station, HOURS))
        pipeline.ingest(settings, run_id, ARRIVED)
        pipeline.clean(settings, run_id, dask_client)
        pipeline.build_marts(settings, run_id, dask_client)
    except Exception as exc:  # the outcome under test: a clear error, not a crash or a hang
        return f"{type(exc).__name__}: {exc}"
    return None


def final_state(upstream: str, lake_uri: str, dask_client) -> tuple[int, int, int]:
    """After a healthy rerun: (clean rows, distinct rows, ledger partitions)."""
    assert attempt(upstream, lake_uri, "healthy-rerun", dask_client) is None
    lake = Lake(load_settings(lake_uri=lake_uri, s3_endpoint_url=upstream))
    clean = delta.read_table(lake, lake.layout.table(Zone.CLEAN, "air_quality_hourly"))
    daily = delta.read_table(lake, lake.layout.table(Zone.CURATED, "air_aqi_daily"))
    assert len(daily) == len(STATIONS) * HOURS // 24
    return len(clean), len(clean.drop_duplicates(["station", "ts_utc"])), len(read_ledger(lake, "air_quality_hourly"))


def record(
    scenario, upstream: str, lake_uri: str, dask_client, error: str | None, started: float, counts: dict[str, int]
) -> None:
    rows, distinct, partitions = final_state(upstream, lake_uri, dask_client)
    expected = len(STATIONS) * HOURS
    clear = error is None or len(error) > 20
    scenario.record(
        clear and partitions == len(STATIONS) and sum(counts[k] for k in ("503", "500", "slow", "dropped")) > 0,
        rows_lost=max(0, expected - distinct),
        duplicate_rows=rows - distinct,
        seconds=time.monotonic() - started,
        why=f"error={error!r} faults={counts} final rows={rows} distinct={distinct} ledger partitions={partitions}",
    )
    print(f"{scenario.name}: {'succeeded' if error is None else 'failed cleanly: ' + error[:160]}; faults {counts}")
    Lake(load_settings(lake_uri=lake_uri, s3_endpoint_url=upstream)).fs.rm(
        lake_uri.removeprefix("s3://").split("/")[0], recursive=True
    )


def bucket() -> str:
    return f"s3://citylake-faults-{uuid.uuid4().hex[:10]}/lake"


def test_s3_answers_503_and_500_to_a_fifth_of_requests(upstream, dask_client, scenario) -> None:
    for seed in (1, 2)[: repetitions(2, 1)]:
        with FaultyS3Proxy(upstream, Faults(error_rate=0.2, seed=seed)) as proxy:
            started, lake_uri = time.monotonic(), bucket()
            error = attempt(proxy.endpoint, lake_uri, f"errors-{seed}", dask_client)
        assert error is None, f"bounded retries should absorb a 20% error rate: {error}"
        record(scenario, upstream, lake_uri, dask_client, error, started, proxy.counts)
    scenario.assert_all_passed()


def test_s3_reads_slower_than_the_timeout(upstream, dask_client, scenario) -> None:
    for seed in (3, 4)[: repetitions(2, 1)]:
        with FaultyS3Proxy(upstream, Faults(slow_get_rate=0.08, slow_seconds=4, seed=seed)) as proxy:
            started, lake_uri = time.monotonic(), bucket()
            error = attempt(proxy.endpoint, lake_uri, f"slow-{seed}", dask_client, timeout=2)
        record(scenario, upstream, lake_uri, dask_client, error, started, proxy.counts)
    scenario.assert_all_passed()


def test_s3_endpoint_gone_for_a_while(upstream, dask_client, scenario) -> None:
    rng = random.Random(5)
    for repeat in range(repetitions(2, 1)):
        with FaultyS3Proxy(upstream, Faults(gone_after=rng.uniform(1, 4), gone_for=4, seed=repeat)) as proxy:
            started, lake_uri = time.monotonic(), bucket()
            error = attempt(proxy.endpoint, lake_uri, f"outage-{repeat}", dask_client)
        record(scenario, upstream, lake_uri, dask_client, error, started, proxy.counts)
    scenario.assert_all_passed()
