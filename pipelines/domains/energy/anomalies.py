"""Anomalous periods in a metered flow: a seasonal baseline and a robust score, and a learned detector beside it. Pure.

- **Robust** (`robust`): the baseline of an hour is the median of the same hour of day over the surrounding
  `window_days` days (a daily-seasonal median, so a diurnal pattern is not an anomaly and an anomaly does not move
  its own baseline); the score is the residual over 1.4826 x the series' median absolute residual (a z-score robust
  to the anomalies themselves). Hours with |score| >= `threshold` form runs; runs apart by at most `merge_gap_h`
  hours are one period; a period whose largest |score| stays below `min_peak` is not one of note.
- **Learned** (`isolation_forest`): scikit-learn's IsolationForest on the value, its residual from the baseline
  and the change from the hour before, with the share of anomalies it may flag (`contamination`); its flagged
  hours form periods the same way.

Periods are scored against known events at the event level (`pipelines.forecasting.events`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pipelines.forecasting.events import EventScore, event_score, flagged_runs

__all__ = ["EventScore", "event_score"]  # re-exported: the water benchmark and tests score through this module

DETECTORS = ("robust", "isolation_forest")
PERIOD_COLUMNS = ["start_utc", "end_utc", "hours", "kind", "lowest", "highest", "baseline", "peak_score", "detector"]


@dataclass(frozen=True)
class AnomalyParams:
    """How the detectors judge an hour and group hours into periods."""

    window_days: int = 7
    threshold: float = 4.0
    min_peak: float = 6.0
    merge_gap_h: int = 2
    contamination: float = 0.03
    seed: int = 0

    def __post_init__(self) -> None:
        if self.window_days < 2 or not 0 < self.threshold <= self.min_peak or self.merge_gap_h < 0:
            raise ValueError(f"need window_days >= 2, 0 < threshold <= min_peak, merge_gap_h >= 0: {self}")
        if not 0 < self.contamination < 0.5:
            raise ValueError(f"contamination must be in (0, 0.5), not {self.contamination}")


def hourly(series: pd.Series) -> pd.Series:
    """The series on a complete hourly UTC index (missing hours NaN)."""
    index = pd.DatetimeIndex(series.index)
    full = pd.date_range(index.min().floor("h"), index.max().floor("h"), freq="1h", tz="UTC")
    return series.groupby(index.floor("h")).mean().reindex(full)


def seasonal_baseline(series: pd.Series, window_days: int) -> pd.Series:
    """Each hour's median of the same hour of day over the `window_days` days around it (itself included)."""
    by_hour = series.groupby(series.index.hour)
    return by_hour.transform(lambda s: s.rolling(window_days, center=True, min_periods=max(2, window_days // 2)).median())


def robust_scores(series: pd.Series, params: AnomalyParams) -> tuple[pd.Series, pd.Series]:
    """The baseline and each hour's robust score (residual / (1.4826 x median absolute residual))."""
    baseline = seasonal_baseline(series, params.window_days)
    residual = series - baseline
    scale = 1.4826 * float(np.nanmedian(np.abs(residual)))
    if not np.isfinite(scale) or scale == 0:
        scale = float(np.nanstd(residual)) or 1.0
    return baseline, residual / scale


def periods(
    flagged: pd.Series, scores: pd.Series, series: pd.Series, baseline: pd.Series, params: AnomalyParams, detector: str
) -> pd.DataFrame:
    """Runs of flagged hours (gaps up to `merge_gap_h` bridged), with what each period looked like; periods whose
    largest |score| is below `min_peak` are dropped."""
    rows = []
    for start, end in flagged_runs(flagged.fillna(False).to_numpy(), params.merge_gap_h):
        window = slice(start, end + 1)
        score = scores.iloc[window]
        peak = float(score.abs().max())
        if peak < params.min_peak:
            continue
        values = series.iloc[window]
        rows.append(
            {
                "start_utc": series.index[start],
                "end_utc": series.index[end] + pd.Timedelta(hours=1),
                "hours": int(end - start + 1),
                "kind": "low" if float(score.loc[score.abs().idxmax()]) < 0 else "high",
                "lowest": float(values.min()),
                "highest": float(values.max()),
                "baseline": float(baseline.iloc[window].mean()),
                "peak_score": round(peak, 2),
                "detector": detector,
            }
        )
    return pd.DataFrame(rows, columns=PERIOD_COLUMNS)


def robust(series: pd.Series, params: AnomalyParams) -> pd.DataFrame:
    """The robust detector's periods of an hourly series."""
    series = hourly(series)
    baseline, scores = robust_scores(series, params)
    return periods(scores.abs() >= params.threshold, scores, series, baseline, params, "robust")


def isolation_forest(series: pd.Series, params: AnomalyParams) -> pd.DataFrame:
    """IsolationForest's periods: hours it isolates quickly, on value, residual and hourly change (min_peak is on
    the robust score, so that both detectors report periods of the same note)."""
    from sklearn.ensemble import IsolationForest

    series = hourly(series)
    baseline, scores = robust_scores(series, params)
    features = pd.DataFrame({"value": series, "residual": series - baseline, "change": series.diff()})
    known = features.notna().all(axis=1)
    forest = IsolationForest(contamination=params.contamination, random_state=params.seed, n_estimators=200)
    flagged = pd.Series(False, index=series.index)
    flagged[known] = forest.fit_predict(features[known].to_numpy()) == -1
    lenient = replace(params, min_peak=params.threshold)
    return periods(flagged, scores, series, baseline, lenient, "isolation_forest")


def detect(series: pd.Series, detector: str, params: AnomalyParams) -> pd.DataFrame:
    """The periods one detector finds."""
    if detector == "robust":
        return robust(series, params)
    if detector == "isolation_forest":
        return isolation_forest(series, params)
    raise ValueError(f"unknown detector {detector!r}; known: {', '.join(DETECTORS)}")
