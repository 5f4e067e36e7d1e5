"""Forecast errors masked for missing truth, as in the DCRNN paper's protocol (Li et al. 2018). Pure."""

from __future__ import annotations

import numpy as np


def _mask(actual: np.ndarray, predicted: np.ndarray, scored: np.ndarray | None) -> np.ndarray:
    """Points with a real, non-zero reading and a forecast (DCRNN masks the zeros that stand for no reading)."""
    mask = np.isfinite(actual) & (actual != 0) & np.isfinite(predicted)
    return mask if scored is None else mask & scored


def masked_mae(actual: np.ndarray, predicted: np.ndarray, scored: np.ndarray | None = None) -> float:
    """Mean absolute error over the scored points (NaN when there are none)."""
    mask = _mask(actual, predicted, scored)
    return float(np.mean(np.abs(predicted[mask] - actual[mask]))) if mask.any() else float("nan")


def masked_rmse(actual: np.ndarray, predicted: np.ndarray, scored: np.ndarray | None = None) -> float:
    """Root mean squared error over the scored points."""
    mask = _mask(actual, predicted, scored)
    return float(np.sqrt(np.mean((predicted[mask] - actual[mask]) ** 2))) if mask.any() else float("nan")


def masked_mape(actual: np.ndarray, predicted: np.ndarray, scored: np.ndarray | None = None) -> float:
    """Mean absolute percentage error (in percent) over the scored points."""
    mask = _mask(actual, predicted, scored)
    return float(100 * np.mean(np.abs(predicted[mask] - actual[mask]) / np.abs(actual[mask]))) if mask.any() else float("nan")


def scored_points(actual: np.ndarray, predicted: np.ndarray, scored: np.ndarray | None = None) -> int:
    """How many points the metrics were computed on."""
    return int(_mask(actual, predicted, scored).sum())
