"""Forecasters: what each baseline predicts, and that no model can see past its origin or its cutoff."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.domains.traffic.features import SeriesData
from pipelines.domains.traffic.models import MODELS, make_forecaster
from tests.unit.domains.traffic.synthetic_series import series

FAST = {"gradient_boosting": {"max_iter": 20}}


def test_baselines_predict_what_they_promise() -> None:
    data = series(days=2, sensors=2)
    origins = np.array([300, 400])
    last = make_forecaster("last_value").fit(data.until(288), 3).predict(data, origins, 3)
    np.testing.assert_array_equal(last, data.values[origins])
    seasonal = make_forecaster("seasonal_naive").fit(data.until(288), 3).predict(data, origins, 3)
    np.testing.assert_array_equal(seasonal, data.values[origins + 3 - 288])
    average = make_forecaster("historical_average").fit(data.until(288), 3).predict(data, origins, 3)
    np.testing.assert_array_equal(average, data.values[origins + 3 - 288])  # one day of history: its mean is that day


def test_last_value_carries_the_latest_reading_over_a_gap() -> None:
    data = series(days=1, sensors=1)
    speed = data.values.copy()
    speed[100:110] = np.nan
    gappy = SeriesData(speed, ~np.isnan(speed), data.slots, data.weekdays, data.steps_per_day, data.network)
    assert make_forecaster("last_value").predict(gappy, np.array([105]), 3)[0, 0] == speed[99, 0]


@pytest.mark.parametrize("name", MODELS)
def test_changing_the_future_does_not_change_earlier_forecasts(name: str) -> None:
    data = series(days=3, sensors=4)
    cutoff, origins = 2 * 288, np.arange(2 * 288, 2 * 288 + 60)
    before = make_forecaster(name, FAST).fit(data.until(cutoff), 6).predict(data, origins, 6)
    future = data.values.copy()
    future[origins[-1] + 1 :] = 5.0  # everything after the last origin becomes a jam
    changed = SeriesData(future, data.observed, data.slots, data.weekdays, data.steps_per_day, data.network)
    after = make_forecaster(name, FAST).fit(changed.until(cutoff), 6).predict(changed, origins, 6)
    np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("name", MODELS)
def test_a_model_fitted_at_a_cutoff_ignores_what_came_after(name: str) -> None:
    data = series(days=3, sensors=3)
    origins = np.arange(2 * 288, 2 * 288 + 24)
    whole = make_forecaster(name, FAST).fit(data.until(2 * 288), 3).predict(data, origins, 3)
    rewritten = data.values.copy()
    rewritten[2 * 288 :] += 20.0  # the fitting window is the same, the readings after it differ
    moved = SeriesData(rewritten, data.observed, data.slots, data.weekdays, data.steps_per_day, data.network)
    model = make_forecaster(name, FAST).fit(moved.until(2 * 288), 3)
    reference = make_forecaster(name, FAST).fit(data.until(2 * 288), 3)
    np.testing.assert_array_equal(model.predict(data, origins, 3), reference.predict(data, origins, 3))
    assert whole.shape == (24, 3)


def test_learned_models_beat_last_value_on_a_daily_pattern() -> None:
    data = series(days=4, sensors=4)
    origins = np.arange(3 * 288, 4 * 288 - 12)
    truth = data.values[origins + 12]
    error = {
        name: np.abs(make_forecaster(name, FAST).fit(data.until(3 * 288), 12).predict(data, origins, 12) - truth).mean()
        for name in ("last_value", "gradient_boosting")
    }
    assert error["gradient_boosting"] < 0.8 * error["last_value"]


def test_unknown_models_are_named() -> None:
    with pytest.raises(
        ValueError,
        match="unknown model 'arima'; known: last_value, historical_average, seasonal_naive, linear_ridge, gradient_boosting",
    ):
        make_forecaster("arima")


def test_a_directed_network_gives_upstream_and_downstream_factors_a_symmetric_one_does_not() -> None:
    from pipelines.domains.traffic.features import FeatureParams, carried_forward, features
    from pipelines.domains.traffic.network import Network

    data = series(days=1, sensors=3)
    relative, usual, origins = carried_forward(data.values / 100), np.ones((288, 3)), np.arange(20, 30)
    directed = features(relative, data, origins, 3, usual, FeatureParams())
    assert {"upstream", "downstream", "adjacent"} <= set(directed.groups) and directed.matrix.shape[0] == 10 * 3
    symmetric = SeriesData(
        data.values,
        data.observed,
        data.slots,
        data.weekdays,
        data.steps_per_day,
        Network(np.array([[0, 1.0, 0], [1.0, 0, 0], [0, 0, 0]])),
    )
    groups = features(relative, symmetric, origins, 3, usual, FeatureParams()).groups
    assert "upstream" not in groups and "downstream" not in groups and "adjacent" in groups
