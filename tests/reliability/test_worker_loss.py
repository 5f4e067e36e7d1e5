"""Kill a Dask worker at a random moment of a job (the air-quality clean job; the association-rule mining
of public safety; the traffic models' training; a map sending its shared input): the job finishes, and what it
publishes equals a clean run's (the nanny restarts the worker; the scheduler recomputes what it held)."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import threading
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.compute import Shared, dask_client, map_with_progress
from pipelines.config import load_settings
from pipelines.domains.environment import pipeline
from pipelines.flows import clean as clean_flow
from pipelines.lake import delta
from pipelines.lake.layout import Zone
from pipelines.lake.ledger import read_ledger
from pipelines.lake.storage import Lake
from tests.conftest import beijing_slice
from tests.reliability.conftest import repetitions

pytestmark = pytest.mark.slow
STATIONS = ("Gucheng", "Changping", "Huairou", "Dingling", "Shunyi", "Guanyuan")
HOURS, REPEATS, SEED = 24 * 365, repetitions(3, 1), 42
ARRIVED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KEY = ["station", "ts_utc"]


def run_clean(root: Path, kill_after: float | None, rng: random.Random) -> tuple[pd.DataFrame, float, bool]:
    """Deliver, ingest and clean on a fresh 2-worker cluster; optionally SIGKILL one worker after `kill_after` s."""
    settings = load_settings(lake_uri=str(root), dask_workers=2)
    lake = Lake(settings)
    lake.ensure_exists()
    for station in STATIONS:
        lake.write_bytes(
            f"{lake.layout.landing_dir('air_beijing')}/PRSA_Data_{station}_20130301-20170228.csv", beijing_slice(station, HOURS)
        )
    pipeline.ingest(settings, "run", ARRIVED)
    with dask_client(settings) as client:
        (summary, elapsed, killed) = with_worker_killed(client, kill_after, rng, lambda: pipeline.clean(settings, "run", client))
    assert summary.rows_in == len(STATIONS) * HOURS
    table = delta.read_table(lake, lake.layout.table(Zone.CLEAN, "air_quality_hourly")).sort_values(KEY).reset_index(drop=True)
    assert sorted(read_ledger(lake, "air_quality_hourly")["source_partition"]) == sorted(STATIONS)
    return table, elapsed, killed


def with_worker_killed(client, kill_after: float | None, rng: random.Random, job, workers: int = 2):
    """Run `job()` on the whole cluster; `kill_after` seconds in, SIGKILL one of its workers. (result, seconds, whether
    one was killed). The scenario is one loss at a time: a worker killed by the previous run must be back first, or
    the job would start on one worker and the kill would take the last copy of what it scattered."""
    client.wait_for_workers(workers, timeout=120)
    pids = sorted(client.run(os.getpid).values())
    killed = threading.Event()

    def kill() -> None:
        os.kill(rng.choice(pids), signal.SIGKILL)
        killed.set()

    timer = threading.Timer(kill_after, kill) if kill_after is not None else None
    started = time.monotonic()
    if timer:
        timer.start()
    try:
        result = job()
    finally:
        if timer:
            timer.cancel()
    return result, time.monotonic() - started, killed.is_set()


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
        scenario.record(
            table.equals(expected),
            rows_lost=len(expected) - distinct if distinct < len(expected) else 0,
            duplicate_rows=len(table) - distinct,
            seconds=time.monotonic() - started,
            why=f"repeat {repeat}: killed after {kill_after:.1f} s, {len(table)} rows vs {len(expected)}",
        )
    assert kills_landed == REPEATS, "a kill fired after the job had finished: the scenario tested nothing"
    print(f"clean run {baseline:.1f} s; {REPEATS} runs each lost a worker mid-job")
    scenario.assert_all_passed()


def test_worker_loss_while_mining_association_rules(tmp_path, scenario) -> None:
    from pipelines.domains.public_safety.pipeline import RuleMiningParams, mine_rules
    from pipelines.domains.public_safety.synthetic import generate_cases, write_case_files
    from tests.reliability.police import police_lake

    rng = random.Random(SEED + 1)
    files = write_case_files(generate_cases(8_000, seed=3), tmp_path / "files")
    params = RuleMiningParams(period="2025", min_group_size=10)

    def rules(lake):
        return (
            delta.read_table(lake, lake.layout.table(Zone.CURATED, "crime_rules"))
            .sort_values(["antecedent", "consequent"])
            .reset_index(drop=True)
            .drop(columns=["run_id"], errors="ignore")
        )

    with dask_client(load_settings(dask_workers=2)) as client:
        baseline_lake = police_lake(tmp_path / "baseline", "key-not-a-secret", client, files)
        _, baseline, _ = with_worker_killed(client, None, rng, lambda: mine_rules(baseline_lake.settings, "r", client, params))
        expected = rules(baseline_lake)
        assert len(expected) > 0
    for repeat in range(repetitions(2, 1)):
        with dask_client(load_settings(dask_workers=2)) as client:
            lake = police_lake(tmp_path / f"loss-{repeat}", "key-not-a-secret", client, files)
            kill_after = rng.uniform(0.1, 0.6) * baseline
            _, seconds, killed = with_worker_killed(
                client, kill_after, rng, lambda lake=lake: mine_rules(lake.settings, "r", client, params)
            )
        got = rules(lake)
        merged = got.merge(expected, how="outer", indicator=True, on=["antecedent", "consequent"])
        scenario.record(
            killed and got.equals(expected),
            rows_lost=int((merged["_merge"] == "right_only").sum()),
            duplicate_rows=len(got) - len(got.drop_duplicates(["antecedent", "consequent"])),
            seconds=seconds,
            why=f"repeat {repeat}: killed={killed} after {kill_after:.1f} s, {len(got)} rules vs {len(expected)}",
        )
    print(f"rule mining {baseline:.1f} s; {repetitions(2, 1)} runs each lost a worker mid-job")
    scenario.assert_all_passed()


def test_worker_loss_while_training_traffic_models(tmp_path, scenario) -> None:
    from pipelines.domains.traffic import pipeline as traffic
    from pipelines.lake.catalog.traffic import MODEL_LEADERBOARD
    from pipelines.sources.registry import get_source
    from tests.conftest import deliver_traffic_slice
    from tests.integration.test_traffic_pipeline import DAYS, PARAMS, SENSORS

    rng = random.Random(SEED + 2)
    settings = load_settings(lake_uri=str(tmp_path / "lake"), dask_workers=2)
    lake = Lake(settings)
    lake.ensure_exists()
    deliver_traffic_slice(lake, SENSORS, DAYS)
    scores = ["model", "horizon_min", "mae", "rmse", "mape_pct", "rank", "is_champion", "scored_points"]

    def board():
        frame = delta.read_table(lake, lake.layout.table(Zone.CURATED, MODEL_LEADERBOARD.name))
        return frame[scores].sort_values(["horizon_min", "model"]).reset_index(drop=True)

    with dask_client(settings) as client:
        for feed in ("metr_la_speeds", "metr_la_sensors", "metr_la_road_links"):
            clean_flow.ingest(settings, get_source(feed), "r", ARRIVED)
            clean_flow.clean(settings, get_source(feed), "r", client)
        traffic.curate_readings(settings, "r", PARAMS)
        _, baseline, _ = with_worker_killed(client, None, rng, lambda: traffic.train(settings, "baseline", client, PARAMS))
        expected = board()
        for repeat in range(repetitions(2, 1)):  # the same inputs and parameters: each run replaces the leaderboard's rows
            kill_after = rng.uniform(0.1, 0.6) * baseline
            _, seconds, killed = with_worker_killed(
                client, kill_after, rng, lambda repeat=repeat: traffic.train(settings, f"loss-{repeat}", client, PARAMS)
            )
            got = board()
            scenario.record(
                killed and got.equals(expected),
                rows_lost=max(0, len(expected) - len(got)),
                duplicate_rows=len(got) - len(got.drop_duplicates(["model", "horizon_min"])),
                seconds=seconds,
                why=f"repeat {repeat}: killed={killed} after {kill_after:.1f} s\n{got}\n{expected}",
            )
    print(f"traffic training {baseline:.1f} s; {repetitions(2, 1)} runs each lost a worker mid-job")
    scenario.assert_all_passed()


def returned_within(seconds: float, job) -> list:
    """[what job() returned] if it returned within `seconds`, else []: a hung job fails its scenario instead of
    stalling the suite (its thread is left behind)."""
    returned: list = []
    running = threading.Thread(target=lambda: returned.append(job()), daemon=True)
    running.start()
    running.join(timeout=seconds)
    return returned


def _reads_panel(item: int, panel: np.ndarray) -> float:
    time.sleep(0.2)
    return float(panel[item * 1_000_000])


def test_worker_loss_while_a_shared_input_is_sent(scenario) -> None:
    """A 400 MB shared input takes about a second to reach the workers: a worker killed during the transfer must not
    hang the map (Dask's broadcast did: its replicate retried the dead worker for ever) or change its results."""
    rng = random.Random(SEED + 3)
    panel = np.arange(50_000_000, dtype=np.float64)
    items = list(range(8))

    def job(client):
        return lambda: map_with_progress(client, _reads_panel, items, lambda i: f"item {i}", Shared(panel))

    with dask_client(load_settings(dask_workers=2)) as client:
        expected, baseline, _ = with_worker_killed(client, None, rng, job(client))
        assert expected == [i * 1_000_000.0 for i in items]
        for repeat in range(repetitions(8, 3)):
            kill_after = rng.uniform(0.02, 0.6) * baseline
            started = time.monotonic()
            runs = returned_within(120 + 10 * baseline, partial(with_worker_killed, client, kill_after, rng, job(client)))
            finished = [result for result, _, _ in runs]
            scenario.record(
                finished == [expected],
                rows_lost=0 if finished else len(items),
                seconds=time.monotonic() - started,
                why=f"repeat {repeat}: killed after {kill_after:.2f} s; "
                + (f"results {finished[0]}" if finished else "the map never returned"),
            )
    print(f"a map with a 400 MB shared input {baseline:.1f} s; {repetitions(8, 3)} runs each lost a worker mid-way")
    scenario.assert_all_passed()
