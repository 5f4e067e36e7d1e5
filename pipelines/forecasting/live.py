"""Live scoring: every candidate's forecasts, once their targets have happened, scored against the readings. Pure.

Forecast rows (one per series, origin, horizon and model, with the prediction interval) are joined to the actual
readings at their target times; the scores are pooled per model, horizon and local day of the target, the same
masked metrics as the backtest, so that live and backtest errors compare like for like.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.forecasting import metrics

SCORE_COLUMNS = ["model", "horizon_min", "day", "mae", "rmse", "bias", "coverage_pct", "points"]


def with_actuals(forecasts: pd.DataFrame, actuals: pd.DataFrame, series: str) -> pd.DataFrame:
    """The forecasts with `actual` set from `actuals` (series, ts_utc, value) at each target time; NaN where the
    reading has not arrived or is not a real one. A forecast's own `actual` column, if any, is replaced."""
    readings = actuals.rename(columns={"ts_utc": "target_ts_utc", "value": "actual"})[[series, "target_ts_utc", "actual"]]
    readings = readings.drop_duplicates([series, "target_ts_utc"], keep="last")
    return forecasts.drop(columns=["actual"], errors="ignore").merge(readings, on=[series, "target_ts_utc"], how="left")


def live_scores(rows: pd.DataFrame, timezone: str, zero_is_missing: bool) -> pd.DataFrame:
    """Per model, horizon and local day of the target: MAE, RMSE, bias, interval coverage (%) and the points scored.

    `rows` has model, horizon_min, target_ts_utc, predicted, lower, upper, actual; rows without an actual are not
    scored (their day is scored when the readings come)."""
    known = rows[rows["actual"].notna()]
    if known.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SCORE_COLUMNS})
    day = pd.to_datetime(known["target_ts_utc"], utc=True).dt.tz_convert(timezone).dt.date
    out = []
    for (model, horizon, when), group in known.assign(day=day).groupby(["model", "horizon_min", "day"], sort=True):
        actual, predicted = group["actual"].to_numpy(float), group["predicted"].to_numpy(float)
        lower, upper = group["lower"].to_numpy(float), group["upper"].to_numpy(float)
        coverage = metrics.interval_coverage(actual, lower, upper, None, zero_is_missing)
        out.append(
            {
                "model": model,
                "horizon_min": int(horizon),
                "day": when,
                "mae": metrics.masked_mae(actual, predicted, None, zero_is_missing),
                "rmse": metrics.masked_rmse(actual, predicted, None, zero_is_missing),
                "bias": metrics.masked_bias(actual, predicted, None, zero_is_missing),
                "coverage_pct": 100 * coverage if np.isfinite(coverage) else np.nan,
                "points": metrics.scored_points(actual, predicted, None, zero_is_missing),
            }
        )
    return pd.DataFrame(out, columns=SCORE_COLUMNS)


def pooled(scores: pd.DataFrame, days: list) -> pd.DataFrame:
    """Per model and horizon over the given days: MAE and RMSE weighted by points, the points summed."""
    window = scores[scores["day"].isin(days) & (scores["points"] > 0)]
    if window.empty:
        return pd.DataFrame(columns=["model", "horizon_min", "mae", "rmse", "coverage_pct", "points", "days"])
    weighted = window.assign(
        abs_sum=window["mae"] * window["points"],
        sq_sum=window["rmse"] ** 2 * window["points"],
        covered=window.get("coverage_pct", pd.Series(np.nan, index=window.index)).fillna(0) * window["points"],
    )
    grouped = weighted.groupby(["model", "horizon_min"], as_index=False).agg(
        abs_sum=("abs_sum", "sum"),
        sq_sum=("sq_sum", "sum"),
        covered=("covered", "sum"),
        points=("points", "sum"),
        days=("day", "nunique"),
    )
    return grouped.assign(
        mae=grouped["abs_sum"] / grouped["points"],
        rmse=np.sqrt(grouped["sq_sum"] / grouped["points"]),
        coverage_pct=grouped["covered"] / grouped["points"],
    )[["model", "horizon_min", "mae", "rmse", "coverage_pct", "points", "days"]]
