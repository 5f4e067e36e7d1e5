"""Traffic's side of the backtest: fitting its forecasters fold by fold and what moved the learned ones. Pure.

The split, the leaderboard and the champions are the shared forecasting component's (`pipelines.forecasting`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipelines.domains.traffic.features import FACTORS, SeriesData
from pipelines.domains.traffic.models import LearnedForecaster, make_forecaster
from pipelines.forecasting import metrics
from pipelines.forecasting.backtest import FoldForecast


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


def explained_factors(board: pd.DataFrame, factors: pd.DataFrame) -> pd.DataFrame:
    """The factor rows of the best learned model at each horizon (the champion, unless a baseline won)."""
    learned = board[board["model"].isin(factors["model"].unique())]
    best = learned.sort_values(["horizon_min", "rank"]).drop_duplicates("horizon_min")[["horizon_min", "model"]]
    return factors.merge(best, on=["horizon_min", "model"]).sort_values(["horizon_min", "rank"]).reset_index(drop=True)
