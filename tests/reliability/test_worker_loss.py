"""Kill a Dask worker at a random moment of the air-quality clean job: the job finishes, and what it
publishes equals a clean run's (the nanny restarts the worker; the scheduler reruns its tasks)."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from pipelines.compute import dask_client
from pipelines.config import load_settings
from pipelines.domains.environment import pipeline
from pipelines.lake import delta
from pipelines.lake.layout import Zone
from pipelines.lake.ledger import read_ledger
from pipelines.lake.storage import Lake
from tests.conftest import beijing_slice

pytestmark = pytest.mark.slow
STATIONS = ("Gucheng", "Changping", "Huairou", "Dingling", "Shunyi", "Guanyuan")
HOURS, REPEATS, SEED = 24 * 365, 3, 42
ARRIVED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KEY = ["station", "ts_utc"]


def run_clean(root: Path, kill_after: float | None, rng: random.Random) -> tuple[pd.DataFrame, float, bool]:
    """Deliver, ingest and clean on a fresh 2-worker cluster; optionally SIGKILL one worker after `kill_after` s."""
    settings = load_settings(lake_uri=str(root), dask_workers=2)
    lake = Lake(settings)
    lake.ensure_exists()
    for station in STATIONS:
        lake.write_bytes(f"{lake.layout.landing_dir('air_beijing')}/PRSA_Data_{station}_20130301-20170228.csv",
                         beijing_slice(station, HOURS))
    pipeline.ingest(settings, "run", ARRIVED)
    killed = threading.Event()
    with dask_client(settings) as client:
        pids = sorted(client.run(os.getpid).values())

        def kill() -> None:
            os.kill(rng.choice(pids), signal.SIGKILL)
            killed.set()

        timer = threading.Timer(kill_after, kill) if kill_after is not None else None
        started = time.monotonic()
        if timer:
            timer.start()
        summary = pipeline.clean(settings, "run", client)
        elapsed = time.monotonic() - started
        if timer:
            timer.cancel()
    assert summary.rows_in == len(STATIONS) * HOURS
    table = delta.read_table(lake, lake.layout.table(Zone.CLEAN, "air_quality_hourly")).sort_values(KEY).reset_index(drop=True)
    assert sorted(read_ledger(lake, "air_quality_hourly")["source_partition"]) == sorted(STATIONS)
    return table, elapsed, killed.is_set()


def test_worker_loss_mid_job(tmp_path, scenario) -> None:
    rng = random.Random(SEED)
    expected, baseline, _ = run_clean(tmp_path / "baseline", None, rng)
    kills_landed = 0
    for repeat in range(REPEATS):
        kill_after = rng.uniform(0.1, 0.7) * baseline
        started = time.monotonic()
        table, _, killed = run_clean(tmp_path / f"loss-{repeat}", kill_after, rng)
        kills_landed += killed
        distinct = len(table.drop_duplicates(KEY))
        scenario.record(table.equals(expected), rows_lost=len(expected) - distinct if distinct < len(expected) else 0,
                        duplicate_rows=len(table) - distinct, seconds=time.monotonic() - started,
                        why=f"repeat {repeat}: killed after {kill_after:.1f} s, {len(table)} rows vs {len(expected)}")
    assert kills_landed == REPEATS, "a kill fired after the job had finished: the scenario tested nothing"
    print(f"clean run {baseline:.1f} s; {REPEATS} runs each lost a worker mid-job")
    scenario.assert_all_passed()
