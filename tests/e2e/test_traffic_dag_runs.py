"""The traffic DAGs run for real under `airflow dags test` on a slice of the week: feeds, curate, train, score."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from pipelines.config import load_settings
from pipelines.demo import run_airflow
from pipelines.lake import delta
from pipelines.lake.catalog.traffic import CONGESTION_ALERTS, MODEL_LEADERBOARD, TRAFFIC_FORECAST
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake
from pipelines.orchestration.airflow_env import airflow_environment
from tests.conftest import deliver_traffic_slice

pytestmark = pytest.mark.slow
SENSORS, DAYS = 8, 2
QUICK = json.dumps(
    {"traffic": {"learned_params": {"gradient_boosting": {"max_iter": 25}}, "plan": {"folds": 2}, "factor_repeats": 1}}
)


def last_events(airflow_home: Path) -> dict[str, dict]:
    with sqlite3.connect(airflow_home / "airflow.db") as db:
        rows = db.execute("SELECT a.name, e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id ORDER BY e.id").fetchall()
    return {name: json.loads(extra) for name, extra in rows}


def test_traffic_dags_from_feeds_to_alerts(tmp_path: Path) -> None:
    settings = load_settings(lake_uri=str(tmp_path / "lake"), dask_workers=2)
    lake = Lake(settings)
    lake.ensure_exists()
    deliver_traffic_slice(lake, SENSORS, DAYS)
    home = tmp_path / "airflow"
    env = airflow_environment(
        home, base={"PATH": "/usr/bin:/bin", "CITYLAKE_LAKE_URI": settings.lake_uri, "CITYLAKE_DASK_WORKERS": "2"}
    )
    log = tmp_path / "airflow.log"
    for args in (
        ["db", "migrate"],
        ["dags", "reserialize"],
        ["dags", "test", "traffic_metr_la_speeds_clean"],
        ["dags", "test", "traffic_metr_la_sensors_clean"],
        ["dags", "test", "traffic_metr_la_road_links_clean"],
        ["dags", "test", "traffic_readings_curate"],
        ["dags", "test", "traffic_model_training", "-c", QUICK],
        ["dags", "test", "traffic_forecast_scoring", "-c", QUICK],
    ):
        run_airflow(args, env, log)

    events = last_events(home)
    assert (events["traffic_readings"]["rows_clean"], events["traffic_road_links"]["rows_clean"]) == (
        SENSORS * DAYS * 288,
        207 * 207,
    )
    assert events["traffic_readings_clean"]["rows"] == SENSORS * DAYS * 288
    board = delta.read_table(lake, lake.layout.table(Zone.CURATED, MODEL_LEADERBOARD.name))
    assert events["model_leaderboard"]["training_id"] == board["training_id"].iloc[0] and len(board) == 15
    assert events["model_leaderboard"]["champions"] == {
        str(h): m for h, m in board[board["is_champion"]].sort_values("horizon_min")[["horizon_min", "model"]].values
    }
    forecast = delta.read_table(lake, lake.layout.table(Zone.CURATED, TRAFFIC_FORECAST.name))
    assert events["traffic_forecast"]["partitions"] == ["2012-03-02"] and len(forecast) == 288 * SENSORS * 3 * 5  # 5 models
    assert forecast["is_champion"].sum() == 288 * SENSORS * 3
    alerts = delta.read_table(lake, lake.layout.table(Zone.CURATED, CONGESTION_ALERTS.name))
    assert events["congestion_alerts"]["alerts"] == len(alerts)
    records = sorted(p.name for p in (Path(settings.lake_uri) / "_meta" / "runs").iterdir())
    assert records == [
        "metr_la_road_links_clean",
        "metr_la_sensors_clean",
        "metr_la_speeds_clean",
        "traffic_forecast_scoring",
        "traffic_model_training",
        "traffic_readings_curate",
    ]
