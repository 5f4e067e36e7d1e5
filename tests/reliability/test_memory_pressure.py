"""One file far larger than what a worker may hold once parsed: read in chunks it spills to the worker's
disk and publishes everything; read whole, the worker is killed at its memory limit and the job fails
with a clear error, publishing nothing."""

from __future__ import annotations

import datetime as dt
import sys
import time

import dask
import distributed  # noqa: F401  (its config defaults must be loaded before one of them is set below)
import pytest

from pipelines.compute import dask_client
from pipelines.config import PROJECT_ROOT, load_settings
from pipelines.flows import clean as clean_flow
from pipelines.lake import delta
from pipelines.lake.layout import Zone
from pipelines.lake.ledger import read_ledger
from pipelines.lake.storage import Lake

pytestmark = pytest.mark.slow
ROWS, WORKER_MEMORY = 3_000_000, "1600MiB"  # parsed whole, this file needs about 1.8 GiB (benchmarks/README.md)
ARRIVED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def throughput(tmp_path_factory):
    sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
    import feed_throughput

    return feed_throughput


def test_a_partition_larger_than_a_workers_memory(tmp_path, throughput, monkeypatch, scenario) -> None:
    monkeypatch.setattr(throughput, "GROUPS", 1)  # one single file
    big = throughput.generate(tmp_path, ROWS)[0]
    feed = throughput.benchmark_feed()
    outcomes = {}
    for label, chunk_mib in (("in chunks", 16.0), ("whole", 1e6)):
        started = time.monotonic()
        settings = load_settings(
            lake_uri=str(tmp_path / label.replace(" ", "_")), chunk_mib=chunk_mib, dask_workers=1, dask_memory_limit=WORKER_MEMORY
        )
        lake = Lake(settings)
        lake.ensure_exists()
        lake.fs.put_file(str(big), f"{lake.layout.landing_dir(feed.name)}/{big.name}")
        clean_flow.ingest(settings, feed, "run", ARRIVED)
        with dask.config.set({"distributed.scheduler.allowed-failures": 1}), dask_client(settings) as client:
            try:
                summary = clean_flow.clean(settings, feed, "run", client)
                outcomes[label] = f"published {summary.rows_clean:,} clean of {summary.rows_in:,} rows"
                error = None
            except Exception as exc:  # the outcome under test
                error = f"{type(exc).__name__}: {exc}"
                outcomes[label] = f"failed: {error[:200]}"
        clean_uri = lake.layout.table(Zone.CLEAN, "traffic_readings")
        ledger = read_ledger(lake, "traffic_readings")
        if label == "in chunks":
            clean = delta.read_table(lake, clean_uri)
            balanced = int(ledger["rows_in"].sum()) == int(
                ledger[["rows_clean", "rows_quarantined", "rows_deduplicated"]].sum().sum()
            )
            distinct = len(clean.drop_duplicates(["sensor_id", "ts_utc"]))
            scenario.record(
                error is None and balanced and len(clean) == int(ledger["rows_clean"].sum()),
                duplicate_rows=len(clean) - distinct,
                seconds=time.monotonic() - started,
                why=outcomes[label],
            )
        else:
            nothing_published = not delta.table_exists(lake, clean_uri) and ledger.empty
            scenario.record(
                error is not None
                and error.startswith("WorkersDied: standardize synthetic_speeds_0.csv: every worker")
                and "Lower CITYLAKE_CHUNK_MIB" in error
                and nothing_published,
                seconds=time.monotonic() - started,
                why=outcomes[label],
            )
    print(outcomes)
    scenario.assert_all_passed()
