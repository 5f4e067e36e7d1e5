"""Calls in the hours ahead by hand: complete hours only, the seasonal level's power learned from departures, and the
warnings of forecasts against a flat line (baseline 100 an hour, scale sqrt(100) = 10) and a capacity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.emergency import call_forecast

ZONE = "UTC"


def flat_hours(weeks: int = 5, level: np.ndarray | None = None) -> call_forecast.CallSeries:
    times = pd.date_range("2025-03-03", periods=weeks * 168, freq="1h", tz="UTC")
    return call_forecast.CallSeries(times, ("L1",), np.full((len(times), 1), 100.0), ZONE, level)


def test_an_hour_counts_only_when_every_slot_was_counted_and_its_level_is_its_last_half_hour() -> None:
    start = pd.Timestamp("2025-03-03", tz="UTC")
    slots = pd.DataFrame({"ts_utc": pd.date_range(start, periods=3 * 7 * 288, freq="5min"), "calls": 10})
    slots = slots.assign(line_id="L1", slot_minutes=5)
    last_hour = slots["ts_utc"] >= slots["ts_utc"].iloc[-1].floor("1h")
    slots = slots[~(last_hour & (slots["ts_utc"].dt.minute == 5))]  # one slot of the last hour missing
    late = slots["ts_utc"].dt.floor("1h") == start + pd.Timedelta(days=14, hours=9)
    slots.loc[late & (slots["ts_utc"].dt.minute >= 30), "calls"] = 30  # 09:30-09:55 on the third Monday
    series = call_forecast.CallSeries.from_slots(slots, ZONE)
    assert series.values[0, 0] == 120.0 and np.isnan(series.values[-1, 0])
    nine = series.times.get_loc(start + pd.Timedelta(days=14, hours=9))
    assert series.values[nine, 0] == 6 * 10 + 6 * 30
    assert series.level[nine, 0] == 3.0  # 180 calls in its last half hour against 60
    assert series.level[nine - 1, 0] == 1.0


def test_the_seasonal_level_learns_how_much_of_a_departure_lasts() -> None:
    level = np.ones((5 * 168, 1))
    series = flat_hours(level=level)
    departures = [2 * 168 + 30 + 25 * k for k in range(10)]  # different weekdays and hours, after two weeks
    for origin in departures:
        level[origin] = 4.0
        series.values[origin + 1] = 200.0  # 100 x 4 ** 0.5
    model = call_forecast.SeasonalLevel().fit(series, 1)
    assert model.beta == pytest.approx(0.5)
    probe = 4 * 168 + 100
    level[probe] = 9.0
    assert model.predict(series, np.array([probe]), 1)[0, 0] == pytest.approx(300.0)
    assert call_forecast.SeasonalLevel().restore(model.state()).beta == pytest.approx(0.5)


def test_the_baselines() -> None:
    series = flat_hours()
    series.values[4 * 168 + 10 - 168] = 130.0  # the same hour a week before the target
    origins = np.array([4 * 168 + 9])
    assert call_forecast.make_call_forecaster("same_hour_last_week").predict(series, origins, 1)[0, 0] == 130.0
    assert call_forecast.make_call_forecaster("weekday_hour_median").predict(series, origins, 1)[0, 0] == 100.0
    with pytest.raises(ValueError, match="unknown model 'prophet'"):
        call_forecast.make_call_forecaster("prophet")


def forecast(hours_ahead: int, predicted: float, upper: float, series: call_forecast.CallSeries) -> dict:
    origin = series.times[-1] - pd.Timedelta(hours=3)
    return {
        "origin_ts_utc": origin,
        "target_ts_utc": origin + pd.Timedelta(hours=hours_ahead),
        "predicted": predicted,
        "upper": upper,
        "model": "seasonal_level",
        "training_id": "t1",
    }


def test_warnings_of_a_surge_and_of_an_hour_at_capacity() -> None:
    series = flat_hours()
    rows = pd.DataFrame(
        [
            forecast(1, 150.0, 170.0, series),  # score 5: a surge, 1.25x the threshold
            forecast(2, 139.0, 141.0, series),  # score 3.9; its upper end 4.1: on the interval
            forecast(3, 200.0, 220.0, series),  # score 10 (severe); 1.11x the capacity of 180
            forecast(4, 120.0, 130.0, series),  # nothing (beyond the data: the baseline is still known)
        ]
    )
    warned = call_forecast.warnings(rows, series, threshold=4.0, capacity=180.0)
    got = warned[["target_ts_utc", "reason", "basis", "severity", "score", "lead_time_min"]]
    origin = rows["origin_ts_utc"].iloc[0]
    assert got.to_dict("records") == [
        {
            "target_ts_utc": origin + pd.Timedelta(hours=1),
            "reason": "surge",
            "basis": "point",
            "severity": "elevated",
            "score": 5.0,
            "lead_time_min": 0.0,
        },
        {
            "target_ts_utc": origin + pd.Timedelta(hours=2),
            "reason": "surge",
            "basis": "interval",
            "severity": "elevated",
            "score": 3.9,
            "lead_time_min": 60.0,
        },
        {
            "target_ts_utc": origin + pd.Timedelta(hours=3),
            "reason": "over_capacity",
            "basis": "point",
            "severity": "elevated",
            "score": 10.0,
            "lead_time_min": 120.0,
        },
        {
            "target_ts_utc": origin + pd.Timedelta(hours=3),
            "reason": "surge",
            "basis": "point",
            "severity": "severe",
            "score": 10.0,
            "lead_time_min": 120.0,
        },
    ]
    assert (warned["issued_utc"] == origin + pd.Timedelta(hours=1)).all() and (warned["baseline_calls"] == 100.0).all()
    assert call_forecast.warnings(rows, series, threshold=4.0)["reason"].eq("surge").all()  # no capacity declared


def test_the_next_forecast_starts_after_the_last_counted_hour() -> None:
    series = flat_hours(weeks=1)
    series.values[-5:] = np.nan  # the line closed for the last five hours
    assert call_forecast.latest_origin(series) == len(series.times) - 6
    assert call_forecast.latest_origin(series, series.times[10]) == 9  # hour 9 ended at hour 10's start
