"""Calls on an emergency line in the hours ahead, and the early warnings they give. Pure.

The series is one line's calls per hour on an hourly UTC index: an hour counts only when every slot of it was
counted (NaN otherwise: the night a call centre is closed, a missing day), so a part-hour is never taken for a lull.
Candidates, each forecasting `horizon` hours (1-12) after an origin (the origin's hour is known, the forecast is
issued when it ends):

- `same_hour_last_week`: the calls 168 h before the target (a baseline);
- `weekday_hour_median`: the median of the same weekday and local hour over the `weeks` weeks before the target
  (a baseline, and the surge detector's baseline at hourly grain: `surges.scored`);
- `seasonal_level`: that median times the line's level to the power beta, the level being the last `level_hours`
  hours' calls over their medians (a surge or a lull under way) and beta, per horizon, learned by least squares on
  the training window's log ratios where the level departed from normal by more than three robust standard
  deviations (how long a departure lasts; between 0 and 1; the noise of normal hours would bias it to 0).

Models follow the forecasting component's interface, so its backtest, leaderboard, intervals, live scores and
champion rule apply unchanged.

**Warnings** (reason `surge`): each forecast hour is scored like a surge (`surges.scored` with one-hour windows: the
forecast over the hour's baseline, in robust standard deviations); a forecast at `threshold` or more warns (basis
`point`), one whose 90 % interval's upper end reaches it warns on basis `interval`. Severity by the score over the
threshold (of the forecast, or of its upper end when only that reaches it): `elevated` from 1x, `high` from 1.5x,
`severe` from 2.5x. Reason `over_capacity`: a forecast hour at the
line's capacity (calls it can answer in an hour, as staffed) or more; `elevated` from 1x, `high` from 1.15x,
`severe` from 1.3x. The lead time is the minutes from the forecast's issue (the end of the origin hour) to the
start of the warned hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipelines.domains.emergency import surges
from pipelines.forecasting.model import Forecaster

BASELINES = ("same_hour_last_week", "weekday_hour_median")
MODELS = (*BASELINES, "seasonal_level")
SURGE_SEVERITIES = ((2.5, "severe"), (1.5, "high"), (1.0, "elevated"))  # score / threshold at least -> severity
CAPACITY_SEVERITIES = ((1.3, "severe"), (1.15, "high"), (1.0, "elevated"))  # calls / capacity at least -> severity
WARNING_COLUMNS = [
    "line_id",
    "origin_date",
    "origin_ts_utc",
    "issued_utc",
    "target_ts_utc",
    "lead_time_min",
    "reason",
    "basis",
    "severity",
    "predicted_calls",
    "upper_calls",
    "baseline_calls",
    "capacity_calls",
    "score",
    "model",
    "training_id",
]


@dataclass(frozen=True)
class CallSeries:
    """One line's calls per complete hour (T x 1; NaN: not every slot counted) and its civil zone."""

    times: pd.DatetimeIndex
    names: tuple[str, ...]  # the line
    values: np.ndarray
    timezone: str
    level: np.ndarray | None = None  # T x 1: the last `level_minutes` of each hour, calls over their slots' baselines
    weeks: int = 4
    zero_is_missing: bool = False

    @property
    def observed(self) -> np.ndarray:
        return np.isfinite(self.values)

    @classmethod
    def from_slots(cls, slots: pd.DataFrame, timezone: str, weeks: int = 4, level_minutes: int = 30) -> CallSeries:
        """From one line's slot counts (line_id, ts_utc, slot_minutes, calls): each complete hour's sum, and its
        level: the calls of its last `level_minutes` over their baselines (the surge detector's, per slot)."""
        if slots.empty:
            raise ValueError("no call counts to forecast from")
        lines = slots["line_id"].unique()
        if len(lines) != 1:
            raise ValueError(f"a call series is one line's, not {sorted(lines)}")
        hour = slots["ts_utc"].dt.floor("1h")
        minutes = slots["slot_minutes"].astype("int64")
        grouped = slots.assign(hour=hour, minutes=minutes).groupby("hour")
        calls, covered = grouped["calls"].sum(), grouped["minutes"].sum()
        times = pd.date_range(hour.min(), hour.max(), freq="1h")
        values = calls.where(covered >= 60).reindex(times).to_numpy(dtype=np.float64)
        ordered = slots.sort_values("ts_utc")
        frame = surges.scored(ordered.set_index("ts_utc")["calls"], timezone, surges.SurgeParams(weeks=weeks))
        late = frame[(frame.index - frame.index.floor("1h")) >= pd.Timedelta(minutes=60 - level_minutes)]
        recent = late.groupby(late.index.floor("1h"))[["calls", "baseline"]].sum(min_count=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            level = (recent["calls"] / recent["baseline"].where(recent["baseline"] > 0)).reindex(times).to_numpy()
        return cls(times, (str(lines[0]),), values[:, None], timezone, level[:, None], weeks)

    def until(self, end: int) -> CallSeries:
        """Only the hours before `end`: what a model trained then may know."""
        level = None if self.level is None else self.level[:end]
        return CallSeries(self.times[:end], self.names, self.values[:end], self.timezone, level, self.weeks)

    def extended(self, hours: int) -> CallSeries:
        """With `hours` unknown hours after the last (NaN): room for targets beyond the data."""
        times = self.times.append(pd.date_range(self.times[-1] + pd.Timedelta(hours=1), periods=hours, freq="1h"))
        unknown = np.full((hours, self.values.shape[1]), np.nan)
        level = None if self.level is None else np.vstack([self.level, unknown])
        return CallSeries(times, self.names, np.vstack([self.values, unknown]), self.timezone, level, self.weeks)

    def scored(self, threshold: float = 4.0) -> pd.DataFrame:
        """Each hour's baseline, scale and score (`surges.scored` with one-hour windows)."""
        params = surges.SurgeParams(weeks=self.weeks, window_slots=1, threshold=threshold)
        return surges.scored(pd.Series(self.values[:, 0], index=self.times), self.timezone, params)


def lagged(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """values at `positions` (rows; NaN before the series starts or after it ends)."""
    out = np.full((len(positions), values.shape[1]), np.nan)
    inside = (positions >= 0) & (positions < len(values))
    out[inside] = values[positions[inside]]
    return out


class CallForecaster(Forecaster[CallSeries]):
    """A model of a line's calls `horizon` hours after an origin."""


class SameHourLastWeek(CallForecaster):
    """The calls 168 hours before the target."""

    name = "same_hour_last_week"

    def predict(self, data: CallSeries, origins: np.ndarray, horizon: int) -> np.ndarray:
        if horizon > 168:
            raise ValueError(f"{self.name} knows the calls a week before the target: at most 168 h ahead")
        return lagged(data.values, origins + horizon - 168)


def _baseline(data: CallSeries, origins: np.ndarray, horizon: int) -> np.ndarray:
    """The weekday-hour median at each target: from hours at least a week before it, so known at the origin."""
    room = max(int(origins.max()) + horizon + 1 - len(data.times), 0) if len(origins) else 0
    full = data.extended(room) if room else data
    return full.scored()["baseline"].to_numpy()[origins + horizon][:, None]


class WeekdayHourMedian(CallForecaster):
    """The median of the same weekday and local hour over the weeks before the target."""

    name = "weekday_hour_median"

    def predict(self, data: CallSeries, origins: np.ndarray, horizon: int) -> np.ndarray:
        return _baseline(data, origins, horizon)


@dataclass
class SeasonalLevel(CallForecaster):
    """The weekday-hour median times the recent level to a learned power."""

    name: str = "seasonal_level"
    level_hours: int = 2
    beta: float = 0.5
    learned = True

    def levels(self, data: CallSeries, origins: np.ndarray) -> np.ndarray:
        """The level at each origin: its last half hour's calls over their baselines (the series' `level`), else
        the last `level_hours` hours' calls over their medians (NaN: not counted)."""
        if data.level is not None:
            return data.level[origins, 0]
        baseline = data.scored()["baseline"].to_numpy()
        calls = pd.Series(data.values[:, 0]).rolling(self.level_hours).sum().to_numpy()
        expected = pd.Series(baseline).rolling(self.level_hours).sum().to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            return (calls / np.where(expected > 0, expected, np.nan))[origins]

    def fit(self, data: CallSeries, horizon: int) -> SeasonalLevel:
        origins = np.arange(self.level_hours, len(data.times) - horizon)
        if not len(origins):
            raise ValueError(f"{len(data.times)} hours are too few to train {self.name} {horizon} h ahead")
        level = self.levels(data, origins)
        median = _baseline(data, origins, horizon)[:, 0]
        actual = data.values[origins + horizon, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            x, y = np.log(level), np.log(actual / median)
        usable = np.isfinite(x) & np.isfinite(y)
        if usable.sum() < 24:
            raise ValueError(f"fewer than 24 hours with a known level and outcome to train {self.name} {horizon} h ahead")
        noise = 1.4826 * float(np.median(np.abs(x[usable])))
        departed = usable & (np.abs(x) > 3 * noise)  # learn from departures, not from the noise of normal hours
        usable = departed if departed.sum() >= 5 else usable
        denominator = float(np.sum(x[usable] ** 2))
        self.beta = float(np.clip(np.sum(x[usable] * y[usable]) / denominator, 0.0, 1.0)) if denominator > 0 else 0.0
        return self

    def predict(self, data: CallSeries, origins: np.ndarray, horizon: int) -> np.ndarray:
        level = np.nan_to_num(self.levels(data, origins), nan=1.0)  # no level known: normal
        return _baseline(data, origins, horizon) * np.power(np.clip(level, 1e-3, None), self.beta)[:, None]

    def state(self) -> dict[str, Any]:
        return {"beta": self.beta, "level_hours": self.level_hours}

    def restore(self, state: dict[str, Any]) -> SeasonalLevel:
        self.beta, self.level_hours = float(state["beta"]), int(state["level_hours"])
        return self


def make_call_forecaster(name: str) -> CallForecaster:
    """A fresh, unfitted forecaster by name."""
    if name == "same_hour_last_week":
        return SameHourLastWeek()
    if name == "weekday_hour_median":
        return WeekdayHourMedian()
    if name == "seasonal_level":
        return SeasonalLevel()
    raise ValueError(f"unknown model {name!r}; known: {', '.join(MODELS)}")


def latest_origin(series: CallSeries, as_of: pd.Timestamp | None = None) -> int | None:
    """The last counted hour that has ended by `as_of` (None: the latest): where the next forecast starts."""
    counted = np.flatnonzero(np.isfinite(series.values[:, 0]))
    if as_of is not None:
        counted = counted[series.times[counted] + pd.Timedelta(hours=1) <= as_of]
    return int(counted[-1]) if len(counted) else None


def severity(ratio: float, levels: tuple[tuple[float, str], ...]) -> str:
    """`elevated`, `high` or `severe` by how far a forecast goes past its limit (score / threshold, calls /
    capacity)."""
    return next(name for floor, name in levels if ratio >= floor)


def warnings(forecasts: pd.DataFrame, series: CallSeries, threshold: float, capacity: float | None = None) -> pd.DataFrame:
    """The warnings among a line's champion forecasts (rows: origin_ts_utc, target_ts_utc, predicted, upper, model,
    training_id): each target hour scored against its baseline (`surge`), and against the line's capacity in calls
    per hour (`over_capacity`, when it has one); `point` when the forecast itself reaches the limit, `interval` when
    only its upper end does."""
    if forecasts.empty:
        return pd.DataFrame(columns=WARNING_COLUMNS)
    room = int((forecasts["target_ts_utc"].max() - series.times[-1]) / pd.Timedelta(hours=1))
    frame = (series.extended(room) if room > 0 else series).scored(threshold)
    at = frame.reindex(pd.DatetimeIndex(forecasts["target_ts_utc"]))
    baseline, scale = at["baseline"].to_numpy(), at["scale"].to_numpy()
    predicted, upper = forecasts["predicted"].to_numpy(), forecasts["upper"].to_numpy()
    common = forecasts.assign(
        line_id=series.names[0],
        origin_date=forecasts["origin_ts_utc"].dt.tz_convert(series.timezone).dt.date,
        issued_utc=forecasts["origin_ts_utc"] + pd.Timedelta(hours=1),
        predicted_calls=np.round(predicted, 1),
        upper_calls=np.round(upper, 1),
        baseline_calls=np.round(baseline, 1),
        capacity_calls=capacity,
        score=np.round((predicted - baseline) / scale, 2),
    )
    kinds = [("surge", (predicted - baseline) / scale / threshold, (upper - baseline) / scale / threshold, SURGE_SEVERITIES)]
    if capacity:
        kinds.append(("over_capacity", predicted / capacity, upper / capacity, CAPACITY_SEVERITIES))
    frames = []
    for reason, point, ceiling, levels in kinds:
        hit = (point >= 1) | (ceiling >= 1)
        chosen = common[hit].assign(
            reason=reason,
            basis=np.where(point[hit] >= 1, "point", "interval"),
            severity=[severity(r, levels) for r in np.where(point[hit] >= 1, point[hit], ceiling[hit])],
        )
        frames.append(chosen)
    rows = pd.concat(frames, ignore_index=True)
    rows["lead_time_min"] = (rows["target_ts_utc"] - rows["issued_utc"]).dt.total_seconds() / 60
    return rows[WARNING_COLUMNS].sort_values(["target_ts_utc", "reason"]).reset_index(drop=True)
