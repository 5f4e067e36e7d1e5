"""Both air-quality DAGs run for real under `airflow dags test` (SQLite metadata, LocalCluster inside tasks)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from pipelines.config import load_settings
from pipelines.demo import run_airflow
from pipelines.lake import delta
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake
from pipelines.orchestration.airflow_env import airflow_environment
from tests.conftest import DATA_DIR, beijing_slice, require_data

pytestmark = pytest.mark.slow
HOURS = 24 * 7


def asset_events(airflow_home: Path) -> dict[str, dict]:
    with sqlite3.connect(airflow_home / "airflow.db") as db:
        rows = db.execute("SELECT a.name, e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id ORDER BY e.id").fetchall()
    return {name: json.loads(extra) for name, extra in rows}


def test_clean_then_marts_through_airflow(tmp_path: Path) -> None:
    settings = load_settings(lake_uri=str(tmp_path / "lake"), dask_workers=2)
    lake = Lake(settings)
    lake.ensure_exists()
    for station in ("Gucheng", "Changping"):
        lake.write_bytes(
            f"{lake.layout.landing_dir('air_beijing')}/PRSA_Data_{station}_20130301-20170228.csv", beijing_slice(station, HOURS)
        )
    home = tmp_path / "airflow"
    env = airflow_environment(
        home, base={"PATH": "/usr/bin:/bin", "CITYLAKE_LAKE_URI": settings.lake_uri, "CITYLAKE_DASK_WORKERS": "2"}
    )
    log = tmp_path / "airflow.log"
    for args in (
        ["db", "migrate"],
        ["dags", "reserialize"],
        ["dags", "test", "environment_air_beijing_clean"],
        ["dags", "test", "environment_aqi_marts"],
    ):
        run_airflow(args, env, log)

    events = asset_events(home)
    assert events["air_quality_hourly"]["partitions"] == ["Changping", "Gucheng"]
    assert (events["air_quality_hourly"]["rows_in"], events["air_quality_hourly"]["rows_clean"]) == (2 * HOURS, 2 * HOURS)
    assert events["air_quality_hourly"]["quarantined_by_reason"] == {}
    assert events["air_aqi_hourly"]["rows"] == 2 * HOURS
    assert events["air_aqi_daily"]["rows"] == 2 * 7
    assert events["air_aqi_monthly"]["rows"] == 2  # one month at each station
    for name in ("air_aqi_hourly", "air_aqi_daily", "air_pollution_episodes", "air_aqi_monthly"):
        uri = lake.layout.table(Zone.CURATED, name)
        assert len(delta.read_table(lake, uri)) == events[name]["rows"]
    runs = sorted(p.name for p in (Path(settings.lake_uri) / "_meta" / "runs").iterdir())
    assert runs == ["air_beijing_clean", "environment_aqi_marts"]

    # a second run of the clean DAG finds nothing new: its publishing task is skipped, no new asset event
    run_airflow(["dags", "test", "environment_air_beijing_clean"], env, log)
    assert (
        "Skipping task" in log.read_text()
        and "nothing new to clean for air_beijing: every file is published (Dask not started)" in log.read_text()
    )
    with sqlite3.connect(home / "airflow.db") as db:
        assert db.execute("SELECT count(*) FROM asset_event").fetchone()[0] == 1 + 4  # the clean dataset, the four marts

    # another department's feed goes through the same code path, by its own generated DAG
    lake.write_bytes(
        f"{lake.layout.landing_dir('pipe_flow')}/water_flow.csv",
        require_data(DATA_DIR / "energy" / "water_flow.csv").read_bytes(),
    )
    run_airflow(["dags", "test", "water_pipe_flow_clean"], env, log)
    water = asset_events(home)["water_readings"]
    assert (water["rows_in"], water["rows_clean"], water["partitions"]) == (1268, 1268, ["water_flow.csv"])


def test_a_quality_gate_failure_fails_once_and_says_how_to_release_it(tmp_path: Path) -> None:
    from pipelines.demo import DemoError

    settings = load_settings(lake_uri=str(tmp_path / "lake"), dask_workers=1)
    lake = Lake(settings)
    lake.ensure_exists()
    rows = require_data(DATA_DIR / "energy" / "water_flow.csv").read_text().splitlines()[:11]
    naive = [rows[0], *(line.replace("+01:00", "") for line in rows[1:])]  # times without their offset: NAIVE_TIMESTAMP
    lake.write_bytes(f"{lake.layout.landing_dir('pipe_flow')}/water_flow.csv", ("\n".join(naive) + "\n").encode())
    home = tmp_path / "airflow"
    env = airflow_environment(home, base={"PATH": "/usr/bin:/bin", "CITYLAKE_LAKE_URI": settings.lake_uri})
    log = tmp_path / "airflow.log"
    run_airflow(["db", "migrate"], env, log)
    with pytest.raises(DemoError):
        run_airflow(["dags", "test", "water_pipe_flow_clean"], env, log)

    with sqlite3.connect(home / "airflow.db") as db:
        tries = db.execute(
            "SELECT state, try_number, max_tries FROM task_instance WHERE task_id = 'validate_standardize_publish'"
        ).fetchall()
    assert [(state, number) for state, number, _ in tries] == [("failed", 1)]  # one try: no retry of a gate failure
    text = log.read_text()
    assert "quality gate failed for 1 problem(s) in dataset water_readings; nothing was published" in text
    assert "water_flow.csv (water_flow.csv): 10 of 10 rows quarantined (100.0% > threshold" in text
    assert "NAIVE_TIMESTAMP=10" in text and "Retrying will not help" in text
    assert "`citylake sources check pipe_flow <file>`" in text
    assert "Great Expectations' Data Docs of this run: " in text
    [index] = lake.glob(f"{lake.layout.validations_dir('water_readings')}/*/index.html")
    assert "water_flow.csv.html" in lake.read_bytes(index).decode()  # the Data Docs page of the failing file
    assert not lake.exists(lake.layout.table(Zone.CLEAN, "water_readings"))  # nothing published


def test_a_feed_can_be_backfilled_over_a_date_range_at_its_cadence(tmp_path: Path) -> None:
    """docs/operations.md: `citylake airflow backfill create` schedules one run per cadence step of the range."""
    import subprocess

    from pipelines.orchestration.airflow_env import airflow_executable

    home = tmp_path / "airflow"
    env = airflow_environment(home, base={"PATH": "/usr/bin:/bin", "CITYLAKE_LAKE_URI": str(tmp_path / "lake")})
    log = tmp_path / "airflow.log"
    run_airflow(["db", "migrate"], env, log)
    run_airflow(["dags", "reserialize"], env, log)
    command = ["backfill", "create", "--dag-id", "water_pipe_flow_clean", "--from-date", "2026-11-01T00:00:00+00:00"]
    command += ["--to-date", "2026-11-01T03:00:00+00:00", "--dry-run"]
    planned = subprocess.run([airflow_executable(), *command], env=env, capture_output=True, text=True, timeout=300)
    assert planned.returncode == 0, planned.stderr[-2000:]
    runs = re.findall(r"^\| (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00) ", planned.stdout, flags=re.M)
    assert runs == [f"2026-11-01 0{h}:00:00+00:00" for h in range(4)]  # pipe_flow's cadence is 1h: one run per hour
