"""Live scores from forecasts and readings, and the champion rule at its boundaries."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipelines.forecasting.champions import ChampionRule, decide
from pipelines.forecasting.live import live_scores, pooled, with_actuals

T0 = pd.Timestamp("2012-03-01 08:00", tz="UTC")  # midnight in Los Angeles


def forecasts() -> pd.DataFrame:
    rows = []
    for model, error in (("gradient_boosting", 2.0), ("last_value", -4.0)):
        for step in range(4):
            target = T0 + pd.Timedelta(minutes=15 * step)
            rows.append(
                {"sensor_id": "A", "model": model, "horizon_min": 15, "target_ts_utc": target, "predicted": 50.0 + step + error}
            )
    frame = pd.DataFrame(rows)
    return frame.assign(lower=frame["predicted"] - 3.0, upper=frame["predicted"] + 3.0)


def test_forecasts_meet_their_readings_and_are_scored_per_model_horizon_and_local_day() -> None:
    readings = pd.DataFrame(
        {"sensor_id": "A", "ts_utc": [T0 + pd.Timedelta(minutes=15 * s) for s in range(3)], "value": [50.0, 51.0, 52.0]}
    )  # the fourth target's reading has not come yet
    joined = with_actuals(forecasts(), readings, "sensor_id")
    assert joined["actual"].isna().sum() == 2  # one per model
    scores = live_scores(joined, "America/Los_Angeles", zero_is_missing=True)
    assert scores.to_dict("records") == [
        {
            "model": "gradient_boosting",
            "horizon_min": 15,
            "day": dt.date(2012, 3, 1),
            "mae": 2.0,
            "rmse": 2.0,
            "bias": 2.0,
            "coverage_pct": 100.0,
            "points": 3,
        },
        {
            "model": "last_value",
            "horizon_min": 15,
            "day": dt.date(2012, 3, 1),
            "mae": 4.0,
            "rmse": 4.0,
            "bias": -4.0,
            "coverage_pct": 0.0,
            "points": 3,
        },
    ]


def scores(champion_mae: float, challenger_mae: float, points: int = 200, days: int = 3) -> pd.DataFrame:
    rows = []
    for d in range(days):
        day = dt.date(2012, 3, 1) + dt.timedelta(days=d)
        rows.append(
            {
                "model": "gradient_boosting",
                "horizon_min": 15,
                "day": day,
                "mae": champion_mae,
                "rmse": champion_mae,
                "points": points,
            }
        )
        rows.append(
            {
                "model": "linear_ridge",
                "horizon_min": 15,
                "day": day,
                "mae": challenger_mae,
                "rmse": challenger_mae,
                "points": points,
            }
        )
    return pd.DataFrame(rows)


RULE = ChampionRule(margin_pct=5.0, window_days=3, min_points=100, drift_factor=1.5)
CHAMPIONS, BACKTEST = {15: "gradient_boosting"}, {(15, "gradient_boosting"): 4.0}


def test_a_challenger_exactly_at_the_margin_takes_over_and_one_just_short_of_it_does_not() -> None:
    (switch,) = decide(scores(4.0, 3.8), CHAMPIONS, BACKTEST, RULE)  # 5.0 % better: exactly the margin
    assert (switch.kind, switch.champion, switch.challenger, switch.champion_live_mae, switch.challenger_live_mae) == (
        "switch",
        "gradient_boosting",
        "linear_ridge",
        4.0,
        3.8,
    )
    assert (switch.window_from, switch.window_to, switch.champion_points, switch.challenger_points) == (
        dt.date(2012, 3, 1),
        dt.date(2012, 3, 3),
        600,
        600,
    )
    assert decide(scores(4.0, 3.8001), CHAMPIONS, BACKTEST, RULE) == []  # 4.9975 % better: not enough


def test_too_few_points_decide_nothing_and_only_the_last_window_days_count() -> None:
    assert decide(scores(4.0, 3.0, points=33), CHAMPIONS, BACKTEST, RULE) == []  # 99 points each over the window
    old_bad = scores(4.0, 9.0, days=5)
    old_bad.loc[old_bad["day"] >= dt.date(2012, 3, 3), "mae"] = np.where(
        old_bad.loc[old_bad["day"] >= dt.date(2012, 3, 3), "model"] == "linear_ridge", 3.0, 4.0
    )
    (switch,) = decide(old_bad, CHAMPIONS, BACKTEST, RULE)  # days 3-5 only: 3.0 against 4.0
    assert (switch.window_from, switch.challenger_live_mae) == (dt.date(2012, 3, 3), 3.0)


def test_a_champion_whose_live_error_reaches_the_drift_factor_times_its_backtest_error_has_drifted() -> None:
    (drift,) = decide(scores(6.0, 6.0), CHAMPIONS, BACKTEST, RULE)  # 6.0 = 1.5 x 4.0
    assert (drift.kind, drift.champion, drift.champion_live_mae, drift.backtest_mae) == ("drift", "gradient_boosting", 6.0, 4.0)
    assert decide(scores(5.99, 6.0), CHAMPIONS, BACKTEST, RULE) == []


def test_pooling_weights_days_by_their_points() -> None:
    frame = pd.DataFrame(
        {
            "model": "m",
            "horizon_min": 15,
            "day": [dt.date(2012, 3, 1), dt.date(2012, 3, 2)],
            "mae": [1.0, 4.0],
            "rmse": [1.0, 4.0],
            "coverage_pct": [100.0, 50.0],
            "points": [300, 100],
        }
    )
    row = pooled(frame, [dt.date(2012, 3, 1), dt.date(2012, 3, 2)]).iloc[0]
    assert (row["mae"], row["coverage_pct"], row["points"], row["days"]) == (1.75, 87.5, 400, 2)
    assert row["rmse"] == pytest.approx(np.sqrt((300 * 1.0 + 100 * 16.0) / 400))


def test_a_rule_that_cannot_work_is_refused() -> None:
    with pytest.raises(ValueError, match=r"drift_factor must be above 1, not 0\.9"):
        ChampionRule(drift_factor=0.9)
    with pytest.raises(ValueError, match=r"margin_pct must be in \[0, 100\), not 100"):
        ChampionRule(margin_pct=100)
