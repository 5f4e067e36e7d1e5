"""Surges in call volumes: a seasonal baseline by weekday and time of day, a robust score, and a learned detector
beside it. Pure.

Counts come per line (a hotline, a call centre) and slot (e.g. 5 minutes), in the line's local time.

- **Baseline** of a slot: the median of the same weekday and time of day over the previous `weeks` weeks that have
  that slot (causal: a slot never sees itself or anything after it, so it can run live; a missing day is skipped).
- **Score** of a slot, over the window of its last `window_slots` slots (a 5-minute count is too noisy alone):
  (calls - baseline) / scale, the scale being 1.4826 x the median absolute residual of the same time of day over
  the previous `7 x weeks` such windows (a robust standard deviation), but never below the square root of the
  baseline (the Poisson noise of a count, which a flat history would otherwise hide) nor below one call.
- **Robust detector**: runs of slots scoring `threshold` or more (runs at most `merge_gap` slots apart joined) with
  at least `min_slots` slots over the threshold are surges; one noisy slot is not.
- **Learned detector** (`isolation_forest`): scikit-learn's IsolationForest on the score, the calls over the
  baseline and the change from the slot before, flagging at most `contamination` of the slots; only slots above
  their baseline count (a surge is more calls, not fewer); its runs form surges the same way.

Early warning is the forecast's (`pipelines.domains.emergency.call_forecast`): the same score on the hours ahead.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipelines.forecasting.events import flagged_runs

DETECTORS = ("robust", "isolation_forest")
SURGE_COLUMNS = [
    "line_id",
    "detector",
    "start_utc",
    "end_utc",
    "slots",
    "calls",
    "baseline_calls",
    "excess_calls",
    "peak_calls",
    "peak_score",
]


@dataclass(frozen=True)
class SurgeParams:
    """How slots are judged and grouped into surges (the DAG's params)."""

    weeks: int = 4
    window_slots: int = 3
    threshold: float = 4.0
    min_slots: int = 2
    merge_gap: int = 1
    contamination: float = 0.01
    seed: int = 0

    def __post_init__(self) -> None:
        if self.weeks < 2 or self.threshold <= 0 or self.min_slots < 1 or self.merge_gap < 0:
            raise ValueError(f"need weeks >= 2, threshold > 0, min_slots >= 1, merge_gap >= 0: {self}")
        if not 0 < self.contamination < 0.5:
            raise ValueError(f"contamination must be in (0, 0.5), not {self.contamination}")
        if self.window_slots < 1:
            raise ValueError(f"need window_slots >= 1: {self}")

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> SurgeParams:
        """From plain JSON (the DAG's params); an unknown name is an error, so that a typo is not ignored."""
        values = dict(values or {})
        unknown = sorted(set(values) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"unknown surge parameters {unknown}; known: {[f.name for f in dataclasses.fields(cls)]}")
        defaults = cls()
        return cls(**{k: type(getattr(defaults, k))(v) for k, v in values.items()})


def scored(calls: pd.Series, timezone: str, params: SurgeParams) -> pd.DataFrame:
    """One line's slots (UTC index, time order): calls and baseline per slot; over the window of the last
    `window_slots` slots, the calls, the baseline, the scale and the score."""
    calls = calls.sort_index().astype(np.float64)
    local = pd.DatetimeIndex(calls.index).tz_convert(timezone)
    time_of_day = np.asarray(local.hour * 60 + local.minute)
    weekday = np.asarray(local.dayofweek)
    previous = lambda s: s.shift(1).rolling(params.weeks, min_periods=2).median()  # noqa: E731
    baseline = calls.groupby([weekday, time_of_day]).transform(previous)
    window_calls = calls.rolling(params.window_slots).sum()
    window_baseline = baseline.rolling(params.window_slots).sum()
    residual = (window_calls - window_baseline).abs()
    spread = lambda s: s.shift(1).rolling(7 * params.weeks, min_periods=2).median()  # noqa: E731
    mad = residual.groupby(time_of_day).transform(spread)
    scale = np.fmax(np.fmax(1.4826 * mad.fillna(0.0), np.sqrt(window_baseline.clip(lower=0))), 1.0)
    return pd.DataFrame(
        {
            "calls": calls,
            "baseline": baseline,
            "window_calls": window_calls,
            "window_baseline": window_baseline,
            "scale": scale,
            "score": (window_calls - window_baseline) / scale,
        }
    )


def _surges(frame: pd.DataFrame, flagged: np.ndarray, line: str, detector: str, params: SurgeParams) -> list[dict]:
    """Runs of flagged slots with at least `min_slots` flagged, each with its calls, baseline and peak score."""
    rows = []
    step = _step(frame.index)
    for first, last in flagged_runs(flagged, params.merge_gap):
        if int(flagged[first : last + 1].sum()) < params.min_slots:
            continue
        span = frame.iloc[max(first - params.window_slots + 1, 0) : last + 1]  # the windows of the flagged slots
        rows.append(
            {
                "line_id": line,
                "detector": detector,
                "start_utc": span.index[0],
                "end_utc": span.index[-1] + step,
                "slots": len(span),
                "calls": float(span["calls"].sum()),
                "baseline_calls": round(float(span["baseline"].sum()), 1),
                "excess_calls": round(float((span["calls"] - span["baseline"]).sum()), 1),
                "peak_calls": float(span["calls"].max()),
                "peak_score": round(float(span["score"].max()), 2),
            }
        )
    return rows


def _step(index: pd.Index) -> pd.Timedelta:
    """A series' slot length: its most common spacing (5 minutes for a call centre)."""
    gaps = pd.Series(pd.DatetimeIndex(index)).diff().dropna()
    return gaps.mode().iloc[0] if len(gaps) else pd.Timedelta(minutes=5)


def robust(frame: pd.DataFrame, line: str, params: SurgeParams) -> list[dict]:
    """The robust detector's surges of one line's scored slots."""
    over = (frame["score"] >= params.threshold).to_numpy()
    return _surges(frame, over, line, "robust", params)


def isolation_forest(frame: pd.DataFrame, line: str, params: SurgeParams) -> list[dict]:
    """IsolationForest's surges: slots above their baseline that it isolates quickly; `min_slots` counts its
    flagged slots."""
    from sklearn.ensemble import IsolationForest

    features = pd.DataFrame(
        {"score": frame["score"], "ratio": frame["calls"] / frame["baseline"].clip(lower=1), "change": frame["calls"].diff()}
    )
    known = features.notna().all(axis=1).to_numpy()
    flagged = np.zeros(len(frame), dtype=bool)
    if known.sum() > 10:
        forest = IsolationForest(contamination=params.contamination, random_state=params.seed, n_estimators=200)
        flagged[known] = forest.fit_predict(features[known].to_numpy()) == -1
    flagged &= (frame["calls"] > frame["baseline"]).to_numpy()
    return _surges(frame, flagged, line, "isolation_forest", params)


def line_zone(rows: pd.DataFrame, line: str) -> str:
    """The one civil zone of a line's rows (`timezone` column); a line with none or several is an error."""
    zones = rows["timezone"].dropna().unique()
    if len(zones) != 1:
        raise ValueError(f"line {line} needs one time zone in its rows, not {sorted(zones)}")
    return str(zones[0])


def detect(counts: pd.DataFrame, params: SurgeParams) -> pd.DataFrame:
    """Every line's surges by both detectors. `counts`: line_id, ts_utc (slot start), calls, timezone (the line's)."""
    rows: list[dict] = []
    for line, group in counts.groupby("line_id", sort=True):
        frame = scored(group.set_index("ts_utc")["calls"], line_zone(group, str(line)), params)
        rows += robust(frame, str(line), params) + isolation_forest(frame, str(line), params)
    return pd.DataFrame(rows, columns=SURGE_COLUMNS)
