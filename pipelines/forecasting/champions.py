"""Champions by rule: when a challenger takes over, and when a champion has drifted. Pure.

- **Switch**: over the last `window_days` days with live scores, a challenger whose pooled live MAE is at least
  `margin_pct` % below the champion's (both with at least `min_points` scored points) replaces it. Exactly at the
  margin counts as beating it.
- **Drift**: a champion whose pooled live MAE exceeds its backtest MAE by `drift_factor` or more has drifted: the
  domain retrains.

Each decision carries its evidence (the window, both errors, the points), which `model_changes` keeps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.forecasting.live import pooled


@dataclass(frozen=True)
class ChampionRule:
    """When a challenger replaces the champion, and when the champion has drifted."""

    margin_pct: float = 5.0
    window_days: int = 3
    min_points: int = 100
    drift_factor: float = 1.5

    def __post_init__(self) -> None:
        if not 0 <= self.margin_pct < 100:
            raise ValueError(f"margin_pct must be in [0, 100), not {self.margin_pct}")
        if self.window_days < 1 or self.min_points < 1:
            raise ValueError(f"window_days ({self.window_days}) and min_points ({self.min_points}) must be at least 1")
        if self.drift_factor <= 1:
            raise ValueError(f"drift_factor must be above 1, not {self.drift_factor}")


@dataclass(frozen=True)
class Decision:
    """A champion switch or a drift warning at one horizon, with its evidence."""

    kind: str  # "switch" or "drift"
    horizon_min: int
    champion: str
    challenger: str | None
    champion_live_mae: float
    challenger_live_mae: float | None
    backtest_mae: float | None
    window_from: object
    window_to: object
    champion_points: int
    challenger_points: int | None


def decide(
    scores: pd.DataFrame, champions: dict[int, str], backtest_mae: dict[tuple[int, str], float], rule: ChampionRule
) -> list[Decision]:
    """The switches and drift warnings the live scores call for (scores: model, horizon_min, day, mae, rmse, points)."""
    days = sorted(scores.loc[scores["points"] > 0, "day"].unique())[-rule.window_days :]
    if not days:
        return []
    window = pooled(scores, days)
    decisions = []
    for horizon, champion in sorted(champions.items()):
        here = window[window["horizon_min"] == horizon].set_index("model")
        if champion not in here.index or here.at[champion, "points"] < rule.min_points:
            continue  # too little evidence on the champion yet
        mine = float(here.at[champion, "mae"])
        rivals = here.drop(index=champion)
        rivals = rivals[rivals["points"] >= rule.min_points].sort_values(["mae", "points"], ascending=[True, False])
        if len(rivals) and float(rivals["mae"].iloc[0]) <= mine * (1 - rule.margin_pct / 100) + 1e-12:
            best = rivals.index[0]
            decisions.append(
                Decision(
                    "switch",
                    horizon,
                    champion,
                    best,
                    mine,
                    float(rivals["mae"].iloc[0]),
                    backtest_mae.get((horizon, champion)),
                    days[0],
                    days[-1],
                    int(here.at[champion, "points"]),
                    int(rivals["points"].iloc[0]),
                )
            )
        reference = backtest_mae.get((horizon, champion))
        if reference is not None and np.isfinite(reference) and mine >= rule.drift_factor * reference:
            decisions.append(
                Decision(
                    "drift",
                    horizon,
                    champion,
                    None,
                    mine,
                    None,
                    reference,
                    days[0],
                    days[-1],
                    int(here.at[champion, "points"]),
                    None,
                )
            )
    return decisions
