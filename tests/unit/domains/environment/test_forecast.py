"""Hourly AQI a day ahead: the series, the candidates and the heavy-pollution warning's skill."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.environment import forecast
from pipelines.forecasting import backtest

TZ = "Asia/Shanghai"


def frames(hours: int, stations=("A", "B"), seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A daily cycle of AQI (high at night) plus noise, and the matching clean rows (PM2.5 follows the AQI)."""
    rng = np.random.default_rng(seed)
    times = pd.date_range("2016-01-01 00:00", periods=hours, freq="1h", tz="UTC")
    local_hour = np.asarray(times.tz_convert(TZ).hour)
    aqi_rows, clean_rows = [], []
    for i, station in enumerate(stations):
        aqi = 120 + 60 * np.cos(2 * np.pi * local_hour / 24) + 10 * i + rng.normal(0, 5, hours)
        aqi_rows.append(pd.DataFrame({"station": station, "ts_utc": times, "aqi": np.round(aqi).astype("int16")}))
        clean_rows.append(
            pd.DataFrame(
                {
                    "station": station,
                    "ts_utc": times,
                    **{p: aqi * 0.8 for p in forecast.POLLUTANTS},
                    **{w: rng.normal(10, 1, hours) for w in forecast.WEATHER},
                    "wind_dir": np.where(np.arange(hours) % 2, "N", "E"),
                }
            )
        )
    return pd.concat(aqi_rows, ignore_index=True), pd.concat(clean_rows, ignore_index=True)


def test_the_series_is_gridded_by_hour_and_station_with_wind_as_components() -> None:
    aqi, clean = frames(48)
    aqi = aqi.drop(index=3)  # an hour without AQI at station A
    series = forecast.AirSeries.from_frames(aqi, clean, TZ)
    assert series.stations == ("A", "B") and series.values.shape == (48, 2)
    assert not series.observed[3, 0] and series.observed[3, 1] and np.isnan(series.values[3, 0])
    speed = clean.loc[clean["station"] == "A", "wind_speed_m_s"].to_numpy()
    np.testing.assert_allclose(series.inputs["wind_v"][0, 0], speed[0] * np.cos(np.radians(90.0)), atol=1e-9)  # from the east
    np.testing.assert_allclose(series.inputs["wind_u"][0, 0], speed[0])
    np.testing.assert_allclose(series.inputs["wind_v"][1, 0], speed[1])  # from the north: all v
    hour, month = series.target_calendar(np.array([0]), 16)  # 2016-01-01 16:00 UTC = 2016-01-02 00:00 in Beijing
    assert (int(hour[0]), int(month[0])) == (0, 1)


def test_persistence_holds_the_last_known_aqi_and_climatology_is_the_month_and_hour_mean() -> None:
    aqi, clean = frames(24 * 10)
    series = forecast.AirSeries.from_frames(aqi, clean, TZ)
    origins = np.array([30, 31])
    held = forecast.make_air_forecaster("persistence").predict(series, origins, 6)
    np.testing.assert_array_equal(held, series.values[origins])
    climate = forecast.make_air_forecaster("climatology").fit(series, 6)
    hour, month = series.target_calendar(origins, 6)
    expected = [np.mean(series.values[(series.local_hours == h) & (series.months == m)], axis=0) for h, m in zip(hour, month)]
    np.testing.assert_allclose(climate.predict(series, origins, 6), np.array(expected))


def test_the_learned_models_beat_persistence_six_hours_ahead_on_a_daily_cycle() -> None:
    aqi, clean = frames(24 * 40)
    series = forecast.AirSeries.from_frames(aqi, clean, TZ)
    start = 24 * 30
    origins = np.arange(start, len(series.times) - 6)
    runs = [
        backtest.FoldForecast(
            m,
            6,
            0,
            origins,
            forecast.make_air_forecaster(m, {"gradient_boosting": {"max_iter": 60}})
            .fit(series.until(start), 6)
            .predict(series, origins, 6),
        )
        for m in forecast.MODELS
    ]
    board = backtest.leaderboard(runs, series, step_minutes=60).set_index("model")["mae"]
    assert board["persistence"] > 40  # half a day's swing of a 60-point cycle
    assert board["gradient_boosting"] < board["persistence"] / 3 and board["linear_ridge"] < board["persistence"] / 3


def test_a_learned_model_round_trips_through_its_state() -> None:
    aqi, clean = frames(24 * 12)
    series = forecast.AirSeries.from_frames(aqi, clean, TZ)
    fitted = forecast.make_air_forecaster("linear_ridge").fit(series, 3)
    restored = forecast.make_air_forecaster("linear_ridge").restore(fitted.state())
    origins = np.arange(200, 220)
    np.testing.assert_array_equal(restored.predict(series, origins, 3), fitted.predict(series, origins, 3))
    assert restored.input_names[:2] == ("aqi", "aqi_change_1h")


def test_the_warning_counts_hits_misses_and_false_alarms_where_the_truth_is_known() -> None:
    actual = np.array([250.0, 210.0, 150.0, 199.0, np.nan, 300.0])
    predicted = np.array([205.0, 180.0, 220.0, 201.0, 260.0, np.nan])
    skill = forecast.warning_skill(actual, predicted)
    assert (skill.events, skill.warnings, skill.hits) == (2, 3, 1)
    assert skill.hit_rate == 0.5 and skill.false_alarm_ratio == pytest.approx(2 / 3)
    assert np.isnan(forecast.warning_skill(np.array([10.0]), np.array([20.0])).hit_rate)  # no event: no rate


def test_warnings_keep_the_earliest_per_station_and_hour_a_point_warning_before_a_watch() -> None:
    target = pd.Timestamp("2016-01-02 06:00", tz="UTC")
    rows = pd.DataFrame(
        {
            "origin_date": pd.Timestamp("2016-01-01").date(),
            "station": ["A", "A", "A", "A", "B"],
            "origin_ts_utc": [target - pd.Timedelta(hours=h) for h in (24, 12, 6, 1, 1)],
            "target_ts_utc": target,
            "horizon_min": [1440, 720, 360, 60, 60],
            "model": "gradient_boosting",
            "predicted": [190.0, 230.0, 320.0, 250.0, 195.0],
            "upper": [215.0, 260.0, 350.0, 270.0, 210.0],
            "training_id": "t",
        }
    )
    one_run = forecast.heavy_pollution_warnings(rows)
    assert one_run[["station", "lead_time_min", "severity", "basis"]].values.tolist() == [
        ["A", 720, "heavy", "point"],  # the 24 h watch loses to the 12 h point warning
        ["B", 60, "watch", "interval"],
    ]
    runs = [forecast.heavy_pollution_warnings(rows.iloc[[i]]) for i in range(5)]  # hourly runs, one origin each
    kept = forecast.earliest_warnings(pd.concat(runs, ignore_index=True))
    assert kept[["station", "lead_time_min", "severity"]].values.tolist() == [["A", 720, "heavy"], ["B", 60, "watch"]]
    assert kept.columns.tolist() == forecast.WARNING_COLUMNS
