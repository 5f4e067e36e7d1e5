"""Air quality a day ahead, replayed hour by hour through Airflow: one scoring DAG run per past hour (its logical
date), the champion rule's switches acted on by the next hour, drift retraining the models at the hour it was seen.

Two real Beijing stations, two months; models and rule kept small so that decisions come within hours. The
assertions are the loop's own invariants: which runs exist, what each hour could know, and that the champions the
forecasts carry are the ones the rule's recorded decisions made.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipelines.config import load_settings
from pipelines.demo import REPLAY_PROGRESS, _run_logged, run_airflow
from pipelines.lake.catalog.environment import AIR_AQI_FORECAST, AIR_POLLUTION_WARNINGS
from pipelines.lake.catalog.forecasting import MODEL_CHANGES, MODEL_LIVE_SCORES
from pipelines.lake.catalog.traffic import MODEL_LEADERBOARD
from pipelines.orchestration.airflow_env import airflow_environment
from pipelines.orchestration.replay import replay_hours
from tests.conftest import air_marts_lake

pytestmark = pytest.mark.slow
START, HOURS = pd.Timestamp("2013-04-20T16:00:00Z"), 10  # the data: 1 March - 29 April 2013
FORECAST = {
    "horizons_h": [1, 3],
    "score_hours": 1,
    "learned_params": {"gradient_boosting": {"max_iter": 30}},
    "plan": {"test_fraction": 0.2, "folds": 2},
    "champion_rule": {"margin_pct": 0.0, "window_days": 1, "min_points": 4, "drift_factor": 1.01},
}


def dag_runs(home: Path, dag_id: str) -> list[tuple[str, str, dict]]:
    with sqlite3.connect(home / "airflow.db") as db:
        rows = db.execute(
            "SELECT logical_date, state, conf FROM dag_run WHERE dag_id = ? ORDER BY logical_date", (dag_id,)
        ).fetchall()
    return [(pd.Timestamp(when).tz_localize("UTC").isoformat(), state, json.loads(conf or "{}")) for when, state, conf in rows]


def test_a_replay_scores_switches_and_retrains_hour_by_hour(tmp_path: Path, dask_client) -> None:
    settings = load_settings(lake_uri=str(tmp_path / "lake"))
    lake = air_marts_lake(settings, ("Dingling", "Huairou"), 24 * 60, dask_client)

    home = tmp_path / "airflow"
    address = dask_client.scheduler_info()["address"]
    env = airflow_environment(
        home, base={"PATH": "/usr/bin:/bin", "CITYLAKE_LAKE_URI": settings.lake_uri, "CITYLAKE_DASK_SCHEDULER_ADDRESS": address}
    )
    log = tmp_path / "airflow.log"
    run_airflow(["db", "migrate"], env, log)
    for dag_id, hours in (("environment_aqi_forecast_training", 1), ("environment_aqi_forecast_scoring", HOURS)):
        command = [sys.executable, "-m", "pipelines.orchestration.replay", dag_id, "--start", START.isoformat()]
        command += ["--hours", str(hours), "--conf", json.dumps({"forecast": FORECAST})]
        _run_logged(command, dag_id, REPLAY_PROGRESS, env, log)

    # one scoring run per replayed hour, at that hour; training at the start and at each drift's hour, for drift
    hours = [h.isoformat() for h in replay_hours(START.to_pydatetime(), HOURS)]
    scoring = dag_runs(home, "environment_aqi_forecast_scoring")
    assert [(when, state) for when, state, _ in scoring] == [(h, "success") for h in hours]
    changes = lake.read(MODEL_CHANGES) if lake.has(MODEL_CHANGES) else pd.DataFrame(columns=["kind", "decided_at_utc"])
    drifts = sorted(changes.loc[changes["kind"] == "drift", "decided_at_utc"].unique())
    switches = changes[changes["kind"] == "switch"]
    assert len(drifts) >= 1 and len(switches) >= 1, changes  # the small models and the tight rule decide within hours
    training = dag_runs(home, "environment_aqi_forecast_training")
    assert [when for when, _, _ in training] == [START.isoformat(), *(pd.Timestamp(t).isoformat() for t in drifts)]
    assert all(state == "success" for _, state, _ in training)
    assert [conf.get("reason") for _, _, conf in training[1:]] == ["drift"] * len(drifts)
    assert [conf.get("as_of") for _, _, conf in training[1:]] == [pd.Timestamp(t).isoformat() for t in drifts]

    # each hour forecast from itself only, knowing nothing after it
    forecasts = lake.read(AIR_AQI_FORECAST)
    assert sorted(forecasts["origin_ts_utc"].unique()) == [pd.Timestamp(h) for h in hours]
    assert len(forecasts) == HOURS * 2 * 2 * 4  # hours x stations x horizons x models
    assert forecasts["actual"].isna().all()
    board = lake.read(MODEL_LEADERBOARD)
    assert (board["train_until_utc"] <= START + pd.Timedelta(hours=HOURS - 1)).all()
    for origin, rows in forecasts.groupby("origin_ts_utc"):
        # the latest training that existed: the first one, or a retraining of an earlier hour (a drift seen at an
        # hour retrains while that hour's forecasts are made with the models it judged)
        existed = board[(board["train_until_utc"] < origin) | (board["train_until_utc"] == START)]
        latest = existed.sort_values("train_until_utc")["training_id"].iloc[-1]
        assert (rows["training_id"].nunique(), rows["training_id"].iloc[0]) == (1, latest), origin

    # the champions each hour forecast with are the backtest's, switched by the rule's earlier decisions
    for (origin, training_id, horizon), rows in forecasts.groupby(["origin_ts_utc", "training_id", "horizon_min"]):
        champions = rows.loc[rows["is_champion"], "model"].unique().tolist()
        made = switches[
            (switches["training_id"] == training_id)
            & (switches["horizon_min"] == horizon)
            & (switches["decided_at_utc"] <= origin)
        ]
        backtest = board[(board["training_id"] == training_id) & (board["horizon_min"] == horizon) & board["is_champion"]]
        expected = made.sort_values("decided_at_utc")["challenger"].iloc[-1] if len(made) else backtest["model"].iloc[0]
        assert champions == [expected], (origin, horizon)
    warnings = lake.read(AIR_POLLUTION_WARNINGS) if lake.has(AIR_POLLUTION_WARNINGS) else forecasts.iloc[:0]
    assert not warnings.duplicated(["origin_date", "station", "target_ts_utc"]).any()

    # live scores: every candidate of the trainings that forecast, on target days up to the last hour
    scores = lake.read(MODEL_LIVE_SCORES)
    assert set(scores["training_id"]) <= set(forecasts["training_id"]) and (scores["points"] > 0).all()
    assert scores.groupby("training_id")["model"].nunique().eq(4).all()
    assert "replayed 2013-04-21 01:00Z (10/10" in log.read_text()
