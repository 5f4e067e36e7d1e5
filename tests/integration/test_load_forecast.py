"""Load a day ahead: a SYNTHETIC building portfolio through its feed, trained and compared, forecast for the next
local day, that forecast shifted into tomorrow's plan, then scored live when the day's readings come."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.energy import load_forecasting, synthetic
from pipelines.forecasting.backtest import BacktestPlan
from pipelines.lake.catalog.energy import ENERGY_LOAD_FORECAST, ENERGY_LOAD_SHIFTING_DAY_AHEAD
from pipelines.lake.catalog.forecasting import MODEL_LIVE_SCORES
from pipelines.lake.catalog.traffic import MODEL_LEADERBOARD
from pipelines.lake.storage import Lake
from tests.conftest import through_feed

pytestmark = pytest.mark.slow

PARAMS = load_forecasting.LoadForecastParams(
    horizons_h=(1, 12, 24), datasets=("building_meter_readings",), plan=BacktestPlan(test_fraction=0.25, folds=1)
)
ZONE = "Asia/Shanghai"  # the building_meters feed's clock


def test_the_portfolio_is_forecast_a_day_ahead_planned_and_scored_live(settings, dask_client, tmp_path) -> None:
    meters = synthetic.write_building_meters(tmp_path, buildings=6, start="2024-07-01", days=15)
    through_feed(settings, dask_client, "building_meters", [meters])
    lake = Lake(settings)
    first_day_known = pd.Timestamp("2024-07-14 00:00", tz=ZONE).tz_convert("UTC")  # 13 days known: 1-13 July

    trained = load_forecasting.train(settings, "t1", dask_client, PARAMS, first_day_known.isoformat())
    summary = trained["building_meter_readings"]
    assert (summary["series"], summary["hours"]) == (6 * 3, 13 * 24)  # electricity, heat, gas of 6 buildings
    board = lake.read(MODEL_LEADERBOARD, filters=[("measure", "=", "load:building_meter_readings")])
    assert sorted(board["model"].unique()) == sorted(load_forecasting.load_forecast.MODELS)
    assert sorted(board["horizon_min"].unique()) == [60, 720, 1440] and (board["domain"] == "energy").all()
    assert board.groupby("horizon_min")["is_champion"].sum().tolist() == [1, 1, 1]

    scored = load_forecasting.score(settings, "s1", dask_client, PARAMS, first_day_known.isoformat())
    result = scored["building_meter_readings"]
    assert result["origin_utc"] == pd.Timestamp("2024-07-13 23:00", tz=ZONE).tz_convert("UTC").isoformat()
    forecasts = lake.read(ENERGY_LOAD_FORECAST)
    assert len(forecasts) == 18 * 3 * 4 == result["forecast_rows"]  # series x horizons x models
    assert set(forecasts["origin_date"]) == {dt.date(2024, 7, 13)}
    targets = forecasts["target_ts_utc"].dt.tz_convert(ZONE)
    assert sorted(targets.dt.strftime("%m-%d %H:%M").unique()) == ["07-14 00:00", "07-14 11:00", "07-14 23:00"]
    assert (forecasts["lower"] <= forecasts["predicted"]).all() and (forecasts["upper"] >= forecasts["predicted"]).all()

    # tomorrow's plan: only the champions' electricity at the forecast hours, moved inside the window, energy kept
    plan = lake.read(ENERGY_LOAD_SHIFTING_DAY_AHEAD)
    assert set(plan["local_date"]) == {dt.date(2024, 7, 14)} and plan["building_id"].nunique() == 6
    assert result["day_ahead_plan"]["day"] == "2024-07-14" and len(plan) == 6 * 3
    by_building = plan.groupby("building_id")
    np.testing.assert_allclose(by_building["flexible_after_kw"].sum(), by_building["flexible_before_kw"].sum(), rtol=1e-6)
    champions = forecasts[forecasts["is_champion"] & (forecasts["utility"] == "electricity")]
    assert plan["group_peak_before_kw"].iloc[0] == pytest.approx(
        champions.groupby("target_ts_utc")["predicted"].sum().clip(lower=0).max(), rel=1e-6
    )
    assert plan["group_peak_after_kw"].iloc[0] <= plan["group_peak_before_kw"].iloc[0] + 1e-6

    # the next day's readings come: the forecasts are scored against them, per model and horizon
    live = load_forecasting.live_score(settings, "l1", PARAMS, (first_day_known + pd.Timedelta(days=1)).isoformat())
    round_ = live["datasets"]["building_meter_readings"]
    assert round_["days"] == ["2024-07-14"] and round_["scored_points"] == 18 * 3 * 4
    scores = lake.read(MODEL_LIVE_SCORES, filters=[("domain", "=", "energy")])
    assert len(scores) == 3 * 4 and (scores["points"] == 18).all() and (scores["unit"] == "kW").all()

    # a rerun of the same hour publishes nothing new and forecasts the same
    again = load_forecasting.score(settings, "s2", dask_client, PARAMS, first_day_known.isoformat())
    assert again["building_meter_readings"]["forecast_version"] == result["forecast_version"]
    pd.testing.assert_frame_equal(
        lake.read(ENERGY_LOAD_FORECAST).sort_values(["series", "horizon_min", "model"]).reset_index(drop=True),
        forecasts.sort_values(["series", "horizon_min", "model"]).reset_index(drop=True),
    )
