"""The day-ahead load models by hand: the hourly series, the baselines, the day-type profile, the learned model's
round trip through its stored state, and where the next day's forecast starts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.energy import load_forecast as lf
from pipelines.forecasting.backtest import BacktestPlan
from pipelines.forecasting.jobs import FoldJob, run_fold


def series(values: np.ndarray, start: str = "2024-01-01", timezone: str = "UTC") -> lf.LoadSeries:
    times = pd.date_range(start, periods=len(values), freq="1h", tz="UTC")
    grid = np.asarray(values, dtype=float).reshape(len(values), -1)
    return lf.LoadSeries(
        times, tuple(f"m{i}|electricity" for i in range(grid.shape[1])), grid, np.full(grid.shape, np.nan), timezone
    )


def test_readings_become_hourly_means_with_the_copies_left_out() -> None:
    ts = pd.date_range("2024-01-01 00:00", periods=8, freq="15min", tz="UTC")
    readings = pd.DataFrame(
        {
            "meter_id": "A",
            "utility": "heat",
            "ts_utc": ts,
            "power_kw": [1.0, 2.0, 3.0, 6.0, 10.0, 10.0, 99.0, 99.0],
            "temperature_c": 4.0,
            "copied": [False] * 6 + [True, True],
        }
    )
    out = lf.LoadSeries.from_readings(readings, "Europe/Paris")
    assert out.names == ("A|heat",) and out.times.tolist() == [ts[0], ts[4]]
    assert out.values[:, 0].tolist() == [3.0, 10.0]  # the copied 99s are not a reading
    assert out.temperature[:, 0].tolist() == [4.0, 4.0]


def test_the_baselines_read_a_day_and_a_week_before_the_target() -> None:
    data = series(np.arange(200.0))
    origins = np.array([170, 180])
    assert lf.make_load_forecaster("same_hour_yesterday").predict(data, origins, 3)[:, 0].tolist() == [149.0, 159.0]
    assert lf.make_load_forecaster("same_hour_last_week").predict(data, origins, 24)[:, 0].tolist() == [26.0, 36.0]
    with pytest.raises(ValueError, match="at most 24 h ahead"):
        lf.make_load_forecaster("same_hour_yesterday").predict(data, origins, 25)


def test_the_day_type_profile_by_hand() -> None:
    # 2024-01-01 was a Monday: five weekdays of 10 kW at 08:00 (else 1), then a weekend of 2 kW at every hour
    hours = pd.date_range("2024-01-01", periods=7 * 24, freq="1h", tz="UTC")
    values = np.where(hours.dayofweek >= 5, 2.0, np.where(hours.hour == 8, 10.0, 1.0))
    model = lf.make_load_forecaster("day_type_profile").fit(series(values), 1)
    monday = series(np.r_[values, np.ones(24)])  # forecast the next Monday from its 07:00 and the Saturday from Friday
    assert model.predict(monday, np.array([7 * 24 + 7]), 1)[0, 0] == 10.0
    assert model.predict(monday, np.array([4 * 24 + 23]), 9)[0, 0] == 2.0


def test_gradient_boosting_restored_from_its_state_forecasts_the_same() -> None:
    rng = np.random.default_rng(0)
    hours = np.arange(24 * 21)
    values = 50 + 20 * np.sin(2 * np.pi * hours / 24)[:, None] * np.array([1.0, 3.0]) + rng.normal(0, 1, (len(hours), 2))
    data = series(values)
    fitted = lf.make_load_forecaster("gradient_boosting").fit(data.until(24 * 18), 6)
    origins = np.arange(24 * 18, 24 * 20)
    restored = lf.make_load_forecaster("gradient_boosting").restore(fitted.state())
    np.testing.assert_array_equal(restored.predict(data, origins, 6), fitted.predict(data, origins, 6))
    assert "temperature_now" not in fitted.input_names  # no thermometer, no temperature input
    error = np.abs(fitted.predict(data, origins, 6) - values[origins + 6]).mean()
    assert error < 2.5  # the noise is 1 kW; a day-ahead on a clean daily cycle stays near it


def test_the_backtest_fold_runs_every_model_on_the_shared_job() -> None:
    data = series(np.tile(np.r_[np.ones(12), 3 * np.ones(12)], 16))
    [(start, end)] = BacktestPlan(test_fraction=0.25, folds=1).folds_of(len(data.times))
    for name in lf.MODELS:
        fold = run_fold(FoldJob(name, 24, 0, (start, end)), data, lf.make_load_forecaster)
        assert fold.predicted.shape == (end - 24 - start, 1), name
        if name != "gradient_boosting":
            np.testing.assert_allclose(fold.predicted[:, 0], data.values[fold.origins + 24, 0], err_msg=name)


def test_the_next_days_forecast_starts_at_the_last_local_hour_23() -> None:
    times = pd.date_range("2024-07-01 00:00", periods=50, freq="1h", tz="UTC")  # Tokyo is 9 h ahead
    assert times[lf.day_ahead_origin(times, "Asia/Tokyo")].isoformat() == "2024-07-02T14:00:00+00:00"
    assert lf.day_ahead_origin(times, "Asia/Tokyo", pd.Timestamp("2024-07-02T14:30Z")) == 14  # not yet over at 14:30
    assert lf.day_ahead_origin(times[:10], "UTC") is None
