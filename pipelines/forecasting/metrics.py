"""Forecast errors masked for missing truth, as in the DCRNN paper's protocol (Li et al. 2018). Pure.

For speeds a zero stands for "no reading" and is masked (DCRNN); a zero vehicle count at night is a real
count and is scored (`zero_is_missing=False`). A percentage error is never taken against a zero.
"""

from __future__ import annotations

import numpy as np


def _mask(actual: np.ndarray, predicted: np.ndarray, scored: np.ndarray | None, zero_is_missing: bool) -> np.ndarray:
    """Points with a real reading and a forecast."""
    mask = np.isfinite(actual) & np.isfinite(predicted)
    if zero_is_missing:
        mask &= actual != 0
    return mask if scored is None else mask & scored


def masked_mae(
    actual: np.ndarray, predicted: np.ndarray, scored: np.ndarray | None = None, zero_is_missing: bool = True
) -> float:
    """Mean absolute error over the scored points (NaN when there are none)."""
    mask = _mask(actual, predicted, scored, zero_is_missing)
    return float(np.mean(np.abs(predicted[mask] - actual[mask]))) if mask.any() else float("nan")


def masked_rmse(
    actual: np.ndarray, predicted: np.ndarray, scored: np.ndarray | None = None, zero_is_missing: bool = True
) -> float:
    """Root mean squared error over the scored points."""
    mask = _mask(actual, predicted, scored, zero_is_missing)
    return float(np.sqrt(np.mean((predicted[mask] - actual[mask]) ** 2))) if mask.any() else float("nan")


def masked_mape(actual: np.ndarray, predicted: np.ndarray, scored: np.ndarray | None = None) -> float:
    """Mean absolute percentage error (in percent) over the scored points with a non-zero truth."""
    mask = _mask(actual, predicted, scored, zero_is_missing=True)
    return float(100 * np.mean(np.abs(predicted[mask] - actual[mask]) / np.abs(actual[mask]))) if mask.any() else float("nan")


def scored_points(
    actual: np.ndarray, predicted: np.ndarray, scored: np.ndarray | None = None, zero_is_missing: bool = True
) -> int:
    """How many points MAE and RMSE were computed on."""
    return int(_mask(actual, predicted, scored, zero_is_missing).sum())


def masked_bias(
    actual: np.ndarray, predicted: np.ndarray, scored: np.ndarray | None = None, zero_is_missing: bool = True
) -> float:
    """Mean of forecast minus actual over the scored points: positive when the model forecasts too high."""
    mask = _mask(actual, predicted, scored, zero_is_missing)
    return float(np.mean(predicted[mask] - actual[mask])) if mask.any() else float("nan")


def interval_coverage(
    actual: np.ndarray, lower: np.ndarray, upper: np.ndarray, scored: np.ndarray | None = None, zero_is_missing: bool = True
) -> float:
    """The share of scored points whose actual fell inside [lower, upper] (NaN without intervals or points)."""
    mask = _mask(actual, (lower + upper) / 2, scored, zero_is_missing)
    return float(np.mean((actual[mask] >= lower[mask]) & (actual[mask] <= upper[mask]))) if mask.any() else float("nan")
