"""Rolling-origin backtest on a chronological split, the leaderboard and the champions. Pure.

The last `test_fraction` of the origins is cut into `folds` consecutive blocks. For each block every
model is fitted on the readings before the block only (targets included), then forecasts from each
origin in the block. Metrics pool all blocks, masked where the truth is not a real reading.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipelines.domains.traffic import metrics
from pipelines.domains.traffic.features import FACTORS, SeriesData
from pipelines.domains.traffic.models import LearnedForecaster, make_forecaster

BASELINES_TO_BEAT = ("last_value", "historical_average")


@dataclass(frozen=True)
class BacktestPlan:
    """How the week is split: the scored tail and how many refits walk through it."""

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
    predicted: np.ndarray  # origins x sensors, in the measure's unit
    factors: pd.DataFrame | None = None


def run_fold(
    data: SeriesData,
    model: str,
    horizon: int,
    fold: int,
    bounds: tuple[int, int],
    learned_params: dict[str, dict[str, Any]] | None = None,
    seed: int = 0,
    factor_repeats: int = 0,
) -> FoldForecast:
    """Fit `model` on the rows before the fold, forecast every origin of the fold whose target is in the data."""
    start, end = bounds
    origins = np.arange(start, min(end, len(data.values) - horizon))
    forecaster = make_forecaster(model, learned_params, seed).fit(data.until(start), horizon)
    if len(origins) == 0:
        return FoldForecast(model, horizon, fold, origins, np.empty((0, data.n_sensors)))
    predicted = forecaster.predict(data, origins, horizon)
    factors = None
    if factor_repeats and isinstance(forecaster, LearnedForecaster):
        factors = permutation_importance(forecaster, data, origins, horizon, factor_repeats, seed)
    return FoldForecast(model, horizon, fold, origins, predicted, factors)


def permutation_importance(
    model: LearnedForecaster, data: SeriesData, origins: np.ndarray, horizon: int, repeats: int, seed: int
) -> pd.DataFrame:
    """How much the masked MAE (the measure's unit) grows when one factor's inputs are shuffled across rows, mean and std."""
    inputs, level = model.inputs(data, origins, horizon)
    actual, scored = data.values[origins + horizon], data.observed[origins + horizon]
    reference = metrics.masked_mae(actual, model.predict_inputs(inputs, level, len(origins)), scored, data.zero_is_missing)
    rng = np.random.default_rng(seed)
    rows = []
    for factor in FACTORS:
        columns = inputs.groups.get(factor)
        if not columns:
            continue
        increases = []
        for _ in range(repeats):
            shuffled = inputs.matrix.copy()
            shuffled[:, columns] = inputs.matrix[rng.permutation(len(shuffled))][:, columns]
            predicted = model.predict_inputs(inputs.with_matrix(shuffled), level, len(origins))
            increases.append(metrics.masked_mae(actual, predicted, scored, data.zero_is_missing) - reference)
        rows.append(
            {
                "factor": factor,
                "mae_increase": float(np.mean(increases)),
                "std": float(np.std(increases)),
                "inputs": len(columns),
            }
        )
    frame = pd.DataFrame(rows).sort_values("mae_increase", ascending=False, kind="stable").reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    return frame


def leaderboard(forecasts: list[FoldForecast], data: SeriesData, step_minutes: int) -> pd.DataFrame:
    """Masked MAE, RMSE and MAPE of every model at every horizon over all folds; rank 1 is the champion."""
    rows = []
    keys = sorted({(f.horizon, f.model) for f in forecasts})
    for horizon, model in keys:
        parts = [f for f in forecasts if (f.horizon, f.model) == (horizon, model) and len(f.origins)]
        if not parts:
            continue
        predicted = np.concatenate([f.predicted for f in parts])
        targets = np.concatenate([f.origins for f in parts]) + horizon
        actual, scored = data.values[targets], data.observed[targets]
        rows.append(
            {
                "horizon_min": horizon * step_minutes,
                "model": model,
                "mae": metrics.masked_mae(actual, predicted, scored, data.zero_is_missing),
                "rmse": metrics.masked_rmse(actual, predicted, scored, data.zero_is_missing),
                "mape_pct": metrics.masked_mape(actual, predicted, scored),
                "scored_points": metrics.scored_points(actual, predicted, scored, data.zero_is_missing),
            }
        )
    board = pd.DataFrame(rows)
    if board.empty:
        raise ValueError("the backtest produced no forecasts: too few readings for the folds and horizons asked for")
    board = board.sort_values(["horizon_min", "mae", "model"], kind="stable").reset_index(drop=True)
    board["rank"] = board.groupby("horizon_min").cumcount() + 1
    board["is_champion"] = board["rank"] == 1
    best_baseline = board[board["model"].isin(BASELINES_TO_BEAT)].groupby("horizon_min")["mae"].min()
    board["gain_vs_best_baseline_pct"] = 100 * (1 - board["mae"] / board["horizon_min"].map(best_baseline))
    return board


def champions(board: pd.DataFrame) -> dict[int, str]:
    """The champion model of each horizon (minutes -> model name)."""
    best = board[board["is_champion"]]
    return dict(zip(best["horizon_min"].astype(int), best["model"]))


def explained_factors(board: pd.DataFrame, factors: pd.DataFrame) -> pd.DataFrame:
    """The factor rows of the best learned model at each horizon (the champion, unless a baseline won)."""
    learned = board[board["model"].isin(factors["model"].unique())]
    best = learned.sort_values(["horizon_min", "rank"]).drop_duplicates("horizon_min")[["horizon_min", "model"]]
    return factors.merge(best, on=["horizon_min", "model"]).sort_values(["horizon_min", "rank"]).reset_index(drop=True)


def backtest_frame(
    forecasts: list[FoldForecast], data: SeriesData, times: pd.DatetimeIndex, sensors: tuple[str, ...], step_minutes: int
) -> pd.DataFrame:
    """Long rows (model, horizon, sensor, origin, target, predicted, actual) for plots of forecast against actual."""
    frames = []
    for f in forecasts:
        if not len(f.origins):
            continue
        n = len(sensors)
        targets = f.origins + f.horizon
        frames.append(
            pd.DataFrame(
                {
                    "model": f.model,
                    "horizon_min": f.horizon * step_minutes,
                    "sensor_id": np.tile(np.array(sensors, dtype=object), len(f.origins)),
                    "origin_ts_utc": np.repeat(times[f.origins], n),
                    "target_ts_utc": np.repeat(times[targets], n),
                    "predicted": f.predicted.reshape(-1),
                    "actual": np.where(data.observed[targets], data.values[targets], np.nan).reshape(-1),
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
