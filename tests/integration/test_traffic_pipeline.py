"""Traffic on the lake and the Dask cluster: curate, train and compare, score and warn, on a slice of METR-LA."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.traffic import pipeline
from pipelines.domains.traffic.params import TrafficParams
from pipelines.flows import clean as clean_flow
from pipelines.forecasting import registry
from pipelines.forecasting.champions import ChampionRule
from pipelines.lake import delta
from pipelines.lake.catalog.forecasting import MODEL_CHANGES, MODEL_LIVE_SCORES
from pipelines.lake.catalog.traffic import CONGESTION_ALERTS, MODEL_LEADERBOARD, TRAFFIC_FACTORS, TRAFFIC_FORECAST
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake
from pipelines.sources.registry import get_source
from tests.conftest import deliver_traffic_slice

pytestmark = pytest.mark.slow
SENSORS, DAYS = 12, 3
PARAMS = TrafficParams.from_dict(
    {"learned_params": {"gradient_boosting": {"max_iter": 30}}, "plan": {"test_fraction": 0.2, "folds": 2}, "factor_repeats": 1}
)


def table(lake: Lake, mart: str) -> pd.DataFrame:
    return delta.read_table(lake, lake.layout.table(Zone.CURATED, mart))


def test_curate_train_score_on_a_slice(settings, dask_client) -> None:
    lake = Lake(settings)
    lake.ensure_exists()
    deliver_traffic_slice(lake, SENSORS, DAYS)
    for feed in ("metr_la_speeds", "metr_la_sensors", "metr_la_road_links"):
        clean_flow.ingest(settings, get_source(feed), "r1", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        clean_flow.clean(settings, get_source(feed), "r1", dask_client)

    curated = pipeline.curate_readings(settings, "r1", PARAMS)
    speed = curated["measures"]["speed_kmh"]
    assert list(curated["measures"]) == ["speed_kmh"]  # METR-LA delivers speeds only
    assert (curated["rows"], speed["sensors"], speed["observed"], speed["missing"], speed["off_grid"]) == (
        SENSORS * DAYS * 288,
        SENSORS,
        SENSORS * DAYS * 288,
        0,
        0,
    )
    assert speed["sensors_by_step_min"] == {"5": SENSORS}
    assert curated["partitions"] == ["2012-03-01", "2012-03-02", "2012-03-03"]
    assert (curated["from_utc"], curated["to_utc"]) == ("2012-03-01T08:00:00+00:00", "2012-03-04T07:55:00+00:00")

    trained = pipeline.train(settings, "r1", dask_client, PARAMS)
    board = table(lake, MODEL_LEADERBOARD.name)
    assert len(board) == 15 and board.groupby("horizon_min")["rank"].apply(sorted).tolist() == [[1, 2, 3, 4, 5]] * 3
    assert board[["measure", "unit"]].drop_duplicates().values.tolist() == [["speed_kmh", "km/h"]]
    assert set(board["training_id"]) == {trained["training_id"]} and set(board["run_id"]) == {"r1"}
    assert (board["test_from_utc"].iloc[0], board["folds"].iloc[0]) == (pd.Timestamp("2012-03-03 17:35", tz="UTC"), 2)
    champions = board[board["is_champion"]].sort_values("horizon_min")
    assert {str(h): m for h, m in zip(champions["horizon_min"], champions["model"])} == trained["champions"]
    # every candidate is in the registry: its state without pickle, its card (signature, data versions, metrics) beside
    assert all(uri.endswith(".skops") and lake.exists(uri) for uri in board["model_uri"])
    card = registry.card_of(lake, champions["model_uri"].iloc[0])
    assert (card.model, card.signature.horizon_min, card.signature.step_min) == (champions["model"].iloc[0], 15, 5)
    assert len(card.signature.series) == SENSORS and card.metrics["backtest_mae"] == champions["mae"].iloc[0]
    assert (board["interval_halfwidth"] > 0).all()
    # origins 691..777 and 778..(863 - horizon): every target is a real reading
    assert (board["scored_points"] == board["horizon_min"].map({15: 12 * 170, 30: 12 * 167, 60: 12 * 161})).all()
    factors = table(lake, TRAFFIC_FACTORS.name)
    assert sorted(set(factors["model"])) == ["gradient_boosting", "linear_ridge"]
    assert sorted(set(factors["factor"])) == ["adjacent", "recent_level", "recent_trend", "time_of_day", "usual_level", "weekday"]
    assert len(factors) == 2 * 3 * 6
    assert [Path(p).name for p in trained["plots"]] == ["leaderboard.png", "factors.png", "forecast_vs_actual.png"]
    assert all(lake.read_bytes(p).startswith(b"\x89PNG") for p in trained["plots"])
    point, both = trained["held_back_warnings"]  # the alert rule on the held-back days' forecasts vs the readings
    assert (point["basis"], both["basis"]) == ("point", "point or interval") and point["events"] == both["events"] > 0
    assert 0 < point["hits"] <= point["warned"] <= both["warned"] and point["hits"] <= both["hits"] <= both["events"]
    assert both["precision"] == round(both["hits"] / both["warned"], 4) and 0 < point["median_lead_min"] <= 60

    again = pipeline.train(settings, "r2", dask_client, PARAMS)  # same inputs: same training, replaced, not duplicated
    assert again["training_id"] == trained["training_id"] and len(table(lake, MODEL_LEADERBOARD.name)) == 15

    scored = pipeline.score(settings, "r1", dask_client, PARAMS)
    forecast = table(lake, TRAFFIC_FORECAST.name)
    # every candidate forecasts (5 models), with its 90 % interval; the champions' rows are flagged
    assert scored["dates"] == ["2012-03-03"] and scored["forecast_rows"] == len(forecast) == 288 * SENSORS * 3 * 5
    assert len(forecast[forecast["is_champion"]]) == 288 * SENSORS * 3
    widths = board.set_index(["horizon_min", "model"])["interval_halfwidth"]
    forecast_widths = (forecast["upper"] - forecast["predicted"]).round(9)
    assert (forecast_widths == [round(widths[(h, m)], 9) for h, m in zip(forecast["horizon_min"], forecast["model"])]).all()
    beyond = forecast["target_ts_utc"] > pd.Timestamp("2012-03-04 07:55", tz="UTC")
    assert beyond.sum() == 5 * SENSORS * (3 + 6 + 12) and forecast.loc[beyond, "actual"].isna().all()
    assert forecast.loc[~beyond, "actual"].notna().all()
    assert set(forecast["training_id"]) == {trained["training_id"]}
    alerts = table(lake, CONGESTION_ALERTS.name)
    assert len(alerts) == scored["alerts"] > 0
    champions_forecast = forecast[forecast["is_champion"]]
    flagged = alerts.merge(champions_forecast, on=["sensor_id", "origin_ts_utc", "target_ts_utc"], suffixes=("", "_f"))
    assert len(flagged) == len(alerts) and (flagged["lead_time_min"] == flagged["horizon_min"]).all()
    on_point = flagged[flagged["basis"] == "point"]
    assert ((on_point["predicted"] < 56) | (on_point["drop_pct"] >= 40)).all()
    on_interval = flagged[flagged["basis"] == "interval"]  # only the interval's lower end crossed: a watch
    assert (on_interval["severity"] == "watch").all() and ((on_interval["lower"] < 56) | (on_interval["drop_pct"] >= 40)).all()
    assert set(alerts["rule"]) <= {"below_threshold", "sharp_drop", "below_threshold+sharp_drop"}
    assert not alerts.duplicated(["sensor_id", "target_ts_utc"]).any()

    rerun = pipeline.score(settings, "r2", dask_client, PARAMS)  # same inputs, same champions: nothing new
    assert (rerun["forecast_version"], rerun["alerts_version"]) == (scored["forecast_version"], scored["alerts_version"])
    earlier = pipeline.score(settings, "r3", dask_client, PARAMS, dates=["2012-03-02"])
    assert earlier["dates"] == ["2012-03-02"]
    assert sorted(table(lake, TRAFFIC_FORECAST.name)["origin_date"].astype(str).unique()) == ["2012-03-02", "2012-03-03"]
    assert len(table(lake, TRAFFIC_FORECAST.name)) == 2 * 288 * SENSORS * 3 * 5

    # live: the forecasts of both days meet the readings; with a zero margin the best live model takes over
    rule = {"margin_pct": 0.0, "window_days": 3, "min_points": 1, "drift_factor": 100.0}
    live_params = dataclasses.replace(PARAMS, champion_rule=ChampionRule(**rule))
    result = pipeline.live_score(settings, "r4", live_params)
    scores = table(lake, MODEL_LIVE_SCORES.name)
    assert result["days"] == ["2012-03-02", "2012-03-03"] and set(scores["domain"]) == {"traffic"}  # no reading after
    assert len(scores[scores["day"].astype(str) == "2012-03-03"]) == 5 * 3  # every model at every horizon
    assert (scores["points"] > 0).all() and scores["coverage_pct"].between(0, 100).all()
    pooled = scores.groupby(["horizon_min", "model"]).apply(lambda g: (g["mae"] * g["points"]).sum() / g["points"].sum())
    best_live = {int(h): group.idxmin()[1] for h, group in pooled.groupby(level=0)}
    champions_now = pipeline.current_champions(lake, "speed_kmh")
    assert dict(zip(champions_now["horizon_min"].astype(int), champions_now["model"])) == best_live
    switched = {h: m for h, m in best_live.items() if trained["champions"][str(h)] != m}
    changes = table(lake, MODEL_CHANGES.name)
    assert sorted(zip(changes["horizon_min"].astype(int), changes["challenger"])) == sorted(switched.items())
    assert len(result["switches"]) == len(switched) and (changes["kind"] == "switch").all()
    # the leaderboard shows backtest and live side by side, and the champion as it stands
    live_board = table(lake, MODEL_LEADERBOARD.name).set_index(["horizon_min", "model"]).sort_index()
    np.testing.assert_allclose(live_board["live_mae"].to_numpy(), pooled.sort_index().to_numpy())
    assert (live_board["live_days"] == 2).all() and live_board["mae"].notna().all()
    assert {h: m for (h, m), now in live_board["champion_now"].items() if now} == best_live
    again = pipeline.live_score(settings, "r5", live_params)  # the same evidence: recorded once
    assert again["switches"] == [] and len(table(lake, MODEL_CHANGES.name)) == len(changes)
