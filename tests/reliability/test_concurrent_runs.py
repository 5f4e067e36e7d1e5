"""Two runs of the same job on the same partitions at once: one publishes, the other finds the work done
or stops with a clear error; the tables equal a single run's, nothing duplicated."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from pipelines.config import PROJECT_ROOT, load_settings
from pipelines.lake import delta
from pipelines.lake.layout import Zone
from pipelines.lake.ledger import read_ledger
from pipelines.lake.storage import Lake
from tests.conftest import beijing_slice
from tests.reliability.conftest import repetitions

pytestmark = pytest.mark.slow
STATIONS, HOURS, RACES, SEED = ("Gucheng", "Changping", "Huairou"), 24 * 120, repetitions(3, 1), 7
KEY = ["station", "ts_utc"]


def delivered_lake(root: Path) -> Lake:
    lake = Lake(load_settings(lake_uri=str(root)))
    lake.ensure_exists()
    for station in STATIONS:
        lake.write_bytes(
            f"{lake.layout.landing_dir('air_beijing')}/PRSA_Data_{station}_20130301-20170228.csv", beijing_slice(station, HOURS)
        )
    return lake


def run(lake: Lake, run_id: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.air_run", lake.settings.lake_uri, run_id],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def outcome(process: subprocess.Popen) -> str:
    out, _ = process.communicate(timeout=600)
    return out.strip().splitlines()[-1]


def clean_table(lake: Lake) -> pd.DataFrame:
    return delta.read_table(lake, lake.layout.table(Zone.CLEAN, "air_quality_hourly")).sort_values(KEY).reset_index(drop=True)


def test_concurrent_runs_of_the_same_partitions(tmp_path, scenario) -> None:
    single = delivered_lake(tmp_path / "single")
    assert outcome(run(single, "single")).startswith("ok rows_clean=")
    expected = clean_table(single)
    assert len(expected) == len(STATIONS) * HOURS

    rng = random.Random(SEED)
    outcomes = []
    for race in range(RACES):
        started = time.monotonic()
        lake = delivered_lake(tmp_path / f"race-{race}")
        first = run(lake, f"race-{race}-a")
        time.sleep(rng.uniform(0, 2.0))
        second = run(lake, f"race-{race}-b")
        results = [outcome(first), outcome(second)]
        outcomes.append(results)
        table = clean_table(lake)
        ledger = read_ledger(lake, "air_quality_hourly")
        distinct = len(table.drop_duplicates(KEY))
        winners = [r for r in results if r.startswith("ok") and "skipped=False" in r]
        clean_stops = [
            r for r in results if (r.startswith("ok") and "skipped=True" in r) or r.startswith("error CommitFailedError")
        ]
        checks = {
            "a winner": len(winners) >= 1,
            "the other stopped cleanly": len(winners) + len(clean_stops) == 2,
            "table equals a single run's": table.equals(expected),
            "one ledger row per station": sorted(ledger["source_partition"]) == sorted(STATIONS),
        }
        ok = all(checks.values())
        scenario.record(
            ok,
            rows_lost=len(expected) - distinct if distinct < len(expected) else 0,
            duplicate_rows=len(table) - distinct,
            seconds=time.monotonic() - started,
            why=f"race {race}: {results}; failed: {[name for name, passed in checks.items() if not passed]}"
            + (f"; ledger partitions {sorted(ledger['source_partition'])}" if not checks["one ledger row per station"] else ""),
        )
    print("outcomes:", outcomes)
    scenario.assert_all_passed()
