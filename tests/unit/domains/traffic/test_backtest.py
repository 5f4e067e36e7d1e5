"""The rolling-origin split, the leaderboard's arithmetic and the champion choice."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.domains.traffic.backtest import explained_factors, run_fold
from pipelines.forecasting.backtest import BacktestPlan, FoldForecast, champions, leaderboard
from tests.unit.domains.traffic.synthetic_series import series


def test_folds_walk_through_the_last_fifth_in_order() -> None:
    assert BacktestPlan(0.2, 4).folds_of(2016) == [(1613, 1714), (1714, 1814), (1814, 1915), (1915, 2016)]
    assert BacktestPlan(0.5, 1).folds_of(10) == [(5, 10)]
    with pytest.raises(ValueError, match=r"test_fraction must be between 0 and 1, not 1\.5"):
        BacktestPlan(1.5, 2).folds_of(10)


def test_leaderboard_ranks_by_masked_mae_and_measures_gain_against_the_better_baseline() -> None:
    data = series(days=1, sensors=2)
    origins = np.array([100, 101])
    truth = data.values[origins + 3]
    forecasts = [
        FoldForecast("last_value", 3, 0, origins, truth + 4.0),
        FoldForecast("historical_average", 3, 0, origins, truth - 5.0),
        FoldForecast("gradient_boosting", 3, 0, origins[:1], truth[:1] + 1.0),
        FoldForecast("gradient_boosting", 3, 1, origins[1:], truth[1:] - 3.0),
    ]
    board = leaderboard(forecasts, data, step_minutes=5)
    assert board[["horizon_min", "model", "rank", "is_champion", "scored_points"]].values.tolist() == [
        [15, "gradient_boosting", 1, True, 4],
        [15, "last_value", 2, False, 4],
        [15, "historical_average", 3, False, 4],
    ]
    assert board["mae"].round(9).tolist() == [2.0, 4.0, 5.0]
    assert board["gain_vs_best_baseline_pct"].round(9).tolist() == [50.0, 0.0, -25.0]
    assert board["rmse"].round(9).tolist() == [round(np.sqrt(5.0), 9), 4.0, 5.0]
    assert champions(board) == {15: "gradient_boosting"}


def test_a_fold_forecasts_only_origins_whose_target_is_in_the_data() -> None:
    data = series(days=2, sensors=2)  # 576 rows
    fold = run_fold(data, "last_value", 12, 0, (550, 576))
    assert fold.origins.tolist() == list(range(550, 564))
    np.testing.assert_array_equal(fold.predicted, data.values[550:564])
    assert run_fold(data, "last_value", 12, 1, (570, 576)).origins.tolist() == []


def test_the_factors_explained_are_those_of_the_best_learned_model_per_horizon() -> None:
    import pandas as pd

    board = pd.DataFrame(
        {
            "horizon_min": [15, 15, 15, 60, 60],
            "rank": [1, 2, 3, 1, 2],
            "model": ["last_value", "linear_ridge", "gradient_boosting", "gradient_boosting", "linear_ridge"],
        }
    )
    factors = pd.DataFrame(
        {
            "horizon_min": [15, 15, 60, 60],
            "model": ["gradient_boosting", "linear_ridge"] * 2,
            "factor": ["weekday"] * 4,
            "rank": [1] * 4,
        }
    )
    assert explained_factors(board, factors)[["horizon_min", "model"]].values.tolist() == [
        [15, "linear_ridge"],
        [60, "gradient_boosting"],
    ]
