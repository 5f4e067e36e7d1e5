"""Masked forecast errors on hand-made series whose errors are known."""

from __future__ import annotations

import math

import numpy as np

from pipelines.forecasting.metrics import masked_mae, masked_mape, masked_rmse, scored_points

ACTUAL = np.array([[50.0, 100.0], [np.nan, 80.0], [0.0, 40.0]])
PREDICTED = np.array([[55.0, 90.0], [70.0, 80.0], [30.0, 44.0]])


def test_missing_and_zero_truth_are_not_scored() -> None:
    # scored: 50->55 (5), 100->90 (10), 80->80 (0), 40->44 (4); the NaN and the 0 are masked
    assert scored_points(ACTUAL, PREDICTED) == 4
    assert masked_mae(ACTUAL, PREDICTED) == 19 / 4
    assert math.isclose(masked_rmse(ACTUAL, PREDICTED), math.sqrt((25 + 100 + 0 + 16) / 4))
    assert math.isclose(masked_mape(ACTUAL, PREDICTED), 100 * (5 / 50 + 10 / 100 + 0 + 4 / 40) / 4)


def test_interpolated_truth_can_be_left_out() -> None:
    scored = np.array([[True, False], [True, True], [True, True]])
    assert scored_points(ACTUAL, PREDICTED, scored) == 3
    assert masked_mae(ACTUAL, PREDICTED, scored) == (5 + 0 + 4) / 3


def test_a_missing_forecast_is_not_scored_and_nothing_scored_is_nan() -> None:
    predicted = PREDICTED.copy()
    predicted[0, 1] = np.nan
    assert masked_mae(ACTUAL, predicted) == 9 / 3
    nothing = np.full((2, 2), np.nan)
    assert math.isnan(masked_mae(nothing, nothing)) and scored_points(nothing, nothing) == 0


def test_a_zero_count_is_a_real_reading_scored_by_mae_but_never_divided_by() -> None:
    # volumes: the 0 at [2, 0] is a quiet interval: |30 - 0| is scored; MAPE still leaves it out
    assert scored_points(ACTUAL, PREDICTED, zero_is_missing=False) == 5
    assert masked_mae(ACTUAL, PREDICTED, zero_is_missing=False) == (5 + 10 + 0 + 30 + 4) / 5
    assert math.isclose(masked_mape(ACTUAL, PREDICTED), 100 * (5 / 50 + 10 / 100 + 0 + 4 / 40) / 4)
