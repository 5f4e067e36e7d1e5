"""Rolling-origin backtest on a chronological split, the leaderboard and the champions. Pure, domain-free.

The last `test_fraction` of the origins is cut into `folds` consecutive blocks. For each block every
model is fitted on the readings before the block only (targets included), then forecasts from each
origin in the block. Metrics pool all blocks, masked where the truth is not a real reading. The
residuals of the pooled forecasts also give each model's prediction interval (`interval_halfwidth`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from pipelines.forecasting import metrics

BASELINES_TO_BEAT = ("last_value", "historical_average")
INTERVAL_LEVEL = 0.9  # the central share of outcomes a prediction interval is meant to hold


class Truth(Protocol):
    """What forecasts are scored against: values (times x series), which are real readings, and whether a zero
    is a missing reading (speeds) or a real one (counts)."""

    @property
    def values(self) -> np.ndarray: ...

    @property
    def observed(self) -> np.ndarray: ...

    @property
    def zero_is_missing(self) -> bool: ...


@dataclass(frozen=True)
class BacktestPlan:
    """How the history is split: the scored tail and how many refits walk through it."""

    test_fraction: float = 0.2
    folds: int = 4

    def folds_of(self, n_times: int) -> list[tuple[int, int]]:
        """[start, end) origin rows of each fold; everything before a fold's start is its training data."""
        if not 0 < self.test_fraction < 1:
            raise ValueError(f"test_fraction must be between 0 and 1, not {self.test_fraction}")
        start = round(n_times * (1 - self.test_fraction))
        edges = np.linspace(start, n_times, self.folds + 1).round().astype(int)
        return [(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]


@dataclass(frozen=True)
class FoldForecast:
    """One model's forecasts over one fold at one horizon (and, for learned models, what moved them)."""

    model: str
    horizon: int  # steps
    fold: int
    origins: np.ndarray
    predicted: np.ndarray  # origins x series, in the measure's unit
    factors: pd.DataFrame | None = None


def _pooled(forecasts: list[FoldForecast], truth: Truth, horizon: int, model: str) -> tuple[np.ndarray, ...] | None:
    parts = [f for f in forecasts if (f.horizon, f.model) == (horizon, model) and len(f.origins)]
    if not parts:
        return None
    predicted = np.concatenate([f.predicted for f in parts])
    targets = np.concatenate([f.origins for f in parts]) + horizon
    return predicted, truth.values[targets], truth.observed[targets]


def interval_halfwidth(actual: np.ndarray, predicted: np.ndarray, scored: np.ndarray, zero_is_missing: bool) -> float:
    """Split-conformal half-width: the INTERVAL_LEVEL quantile of the absolute backtest errors (NaN without points)."""
    mask = np.isfinite(actual) & np.isfinite(predicted) & scored
    if zero_is_missing:
        mask &= actual != 0
    if not mask.any():
        return float("nan")
    errors = np.sort(np.abs(predicted[mask] - actual[mask]))
    rank = min(len(errors), int(np.ceil((len(errors) + 1) * INTERVAL_LEVEL)))  # the finite-sample conformal rank
    return float(errors[rank - 1])


def leaderboard(
    forecasts: list[FoldForecast], truth: Truth, step_minutes: int, baselines: tuple[str, ...] = BASELINES_TO_BEAT
) -> pd.DataFrame:
    """Masked MAE, RMSE, MAPE and the interval half-width of every model at every horizon over all folds; rank 1 is
    the champion; the gain is measured against the better of the domain's `baselines`."""
    rows = []
    for horizon, model in sorted({(f.horizon, f.model) for f in forecasts}):
        pooled = _pooled(forecasts, truth, horizon, model)
        if pooled is None:
            continue
        predicted, actual, scored = pooled
        rows.append(
            {
                "horizon_min": horizon * step_minutes,
                "model": model,
                "mae": metrics.masked_mae(actual, predicted, scored, truth.zero_is_missing),
                "rmse": metrics.masked_rmse(actual, predicted, scored, truth.zero_is_missing),
                "mape_pct": metrics.masked_mape(actual, predicted, scored),
                "scored_points": metrics.scored_points(actual, predicted, scored, truth.zero_is_missing),
                "interval_halfwidth": interval_halfwidth(actual, predicted, scored, truth.zero_is_missing),
            }
        )
    board = pd.DataFrame(rows)
    if board.empty:
        raise ValueError("the backtest produced no forecasts: too few readings for the folds and horizons asked for")
    board = board.sort_values(["horizon_min", "mae", "model"], kind="stable").reset_index(drop=True)
    board["rank"] = board.groupby("horizon_min").cumcount() + 1
    board["is_champion"] = board["rank"] == 1
    best_baseline = board[board["model"].isin(baselines)].groupby("horizon_min")["mae"].min()
    board["gain_vs_best_baseline_pct"] = 100 * (1 - board["mae"] / board["horizon_min"].map(best_baseline))
    return board


def champions(board: pd.DataFrame) -> dict[int, str]:
    """The champion model of each horizon (minutes -> model name)."""
    best = board[board["is_champion"]]
    return dict(zip(best["horizon_min"].astype(int), best["model"]))


def backtest_frame(
    forecasts: list[FoldForecast], truth: Truth, times: pd.DatetimeIndex, series: tuple[str, ...], step_minutes: int
) -> pd.DataFrame:
    """Long rows (model, horizon, series, origin, target, predicted, actual) for plots of forecast against actual."""
    frames = []
    for f in forecasts:
        if not len(f.origins):
            continue
        n = len(series)
        targets = f.origins + f.horizon
        frames.append(
            pd.DataFrame(
                {
                    "model": f.model,
                    "horizon_min": f.horizon * step_minutes,
                    "sensor_id": np.tile(np.array(series, dtype=object), len(f.origins)),
                    "origin_ts_utc": np.repeat(times[f.origins], n),
                    "target_ts_utc": np.repeat(times[targets], n),
                    "predicted": f.predicted.reshape(-1),
                    "actual": np.where(truth.observed[targets], truth.values[targets], np.nan).reshape(-1),
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
