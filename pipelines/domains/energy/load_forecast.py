"""Hourly load a day ahead, per meter and utility: the series and its candidate models. Pure.

The series is every declared meter's hourly mean power (kW) per utility on one hourly UTC index, the readings of a
meter copy left out (a copied day is not learned from, nor scored), with the outdoor temperature where the dataset
has one. Candidates, each forecasting `horizon` hours (1-24) after an origin:

- `same_hour_yesterday` and `same_hour_last_week`: the load 24 h or 168 h before the target (the baselines);
- `day_type_profile`: the training window's mean load of the target's local hour on the same kind of day (weekday,
  weekend) over its last four weeks;
- `gradient_boosting`: the target's load relative to the meter's last week's mean, learned from the same hour
  yesterday and last week, the day-type profile at the target, the load now and over the last day, the temperature
  now and its change over a day (where the dataset has one), the target's hour and day of the week; one model per
  horizon, one for all meters (their scales removed).

Models follow the forecasting component's interface, so its backtest, leaderboard, intervals, live scores and
champion rule apply unchanged.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipelines.forecasting.model import Forecaster, carried_forward

BASELINES = ("same_hour_yesterday", "same_hour_last_week")
MODELS = (*BASELINES, "day_type_profile", "gradient_boosting")
PROFILE_DAYS = 28
SEPARATOR = "|"


def series_name(meter_id: str, utility: str) -> str:
    """One series' name: `meter|utility`."""
    return f"{meter_id}{SEPARATOR}{utility}"


@dataclass(frozen=True)
class LoadSeries:
    """Every meter's and utility's hourly load (kW) on one hourly UTC index (NaN: no reading or a copy)."""

    times: pd.DatetimeIndex
    names: tuple[str, ...]  # meter|utility
    values: np.ndarray  # T x N, kW
    temperature: np.ndarray  # T x N, C (NaN without a thermometer)
    timezone: str
    zero_is_missing: bool = False  # a load of 0 is a real reading (a heating off in summer)

    @property
    def observed(self) -> np.ndarray:
        return np.isfinite(self.values)

    @classmethod
    def from_readings(cls, readings: pd.DataFrame, timezone: str) -> LoadSeries:
        """From long load rows (meter_id, utility, ts_utc, power_kw, temperature_c, and `copied`: readings to leave
        out) at any interval: each hour's mean."""
        kept = readings[~readings["copied"]] if "copied" in readings.columns else readings
        hours = kept.assign(hour=kept["ts_utc"].dt.floor("1h"), name=kept["meter_id"] + SEPARATOR + kept["utility"])
        means = hours.groupby(["name", "hour"], sort=True)[["power_kw", "temperature_c"]].mean()
        names = tuple(sorted(hours["name"].unique()))
        if not names:
            raise ValueError("no load readings to forecast from")
        times = pd.date_range(readings["ts_utc"].min().floor("1h"), readings["ts_utc"].max().floor("1h"), freq="1h")

        def grid(column: str) -> np.ndarray:
            table = means[column].unstack("name")
            return table.reindex(index=times, columns=list(names)).to_numpy(dtype=np.float64)

        return cls(times, names, grid("power_kw"), grid("temperature_c"), timezone)

    def until(self, end: int) -> LoadSeries:
        """Only the hours before `end`: what a model trained then may know."""
        return LoadSeries(self.times[:end], self.names, self.values[:end], self.temperature[:end], self.timezone)

    def target_calendar(self, origins: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """Local hour and day of the week (0 = Monday) of origin + horizon."""
        local = pd.DatetimeIndex(self.times[origins] + pd.Timedelta(hours=horizon)).tz_convert(self.timezone)
        return np.asarray(local.hour), np.asarray(local.dayofweek)


def lagged(values: np.ndarray, origins: np.ndarray, horizon: int, lag: int) -> np.ndarray:
    """The value `lag` hours before each target (origin + horizon), known at the origin when lag >= horizon; NaN
    before the series starts."""
    index = origins + horizon - lag
    out = np.full((len(origins), values.shape[1]), np.nan)
    inside = index >= 0
    out[inside] = values[index[inside]]
    return out


class LoadForecaster(Forecaster[LoadSeries]):
    """A model of every meter's load `horizon` hours after an origin."""


class SameHourBefore(LoadForecaster):
    """The load at the same hour a day (or a week) before the target."""

    def __init__(self, lag: int, name: str) -> None:
        self.lag, self.name = lag, name

    def predict(self, data: LoadSeries, origins: np.ndarray, horizon: int) -> np.ndarray:
        if horizon > self.lag:
            raise ValueError(f"{self.name} knows the load {self.lag} h before the target: at most {self.lag} h ahead")
        return lagged(data.values, origins, horizon, self.lag)


class DayTypeProfile(LoadForecaster):
    """The mean load of the target's local hour on the same kind of day, over the training window's last weeks."""

    name = "day_type_profile"

    def fit(self, data: LoadSeries, horizon: int) -> DayTypeProfile:
        recent = slice(max(len(data.times) - 24 * PROFILE_DAYS, 0), len(data.times))
        local = data.times[recent].tz_convert(data.timezone)
        weekend = np.asarray(local.dayofweek >= 5)
        values = data.values[recent]
        self.table = np.full((2, 24, len(data.names)), np.nan)
        with warnings.catch_warnings():  # an hour never seen stays NaN: the meter's mean then
            warnings.simplefilter("ignore", RuntimeWarning)
            overall = np.nanmean(values, axis=0)
            for kind in (0, 1):
                for hour in range(24):
                    rows = values[(weekend == bool(kind)) & (np.asarray(local.hour) == hour)]
                    if len(rows):
                        self.table[kind, hour] = np.nanmean(rows, axis=0)
        self.table = np.where(np.isnan(self.table), overall[None, None, :], self.table)
        return self

    def predict(self, data: LoadSeries, origins: np.ndarray, horizon: int) -> np.ndarray:
        hour, weekday = data.target_calendar(origins, horizon)
        return self.table[(weekday >= 5).astype(int), hour]

    def state(self) -> dict[str, Any]:
        return {"table": self.table}

    def restore(self, state: dict[str, Any]) -> DayTypeProfile:
        self.table = np.asarray(state["table"], dtype=np.float64)
        return self


def features(
    data: LoadSeries, origins: np.ndarray, horizon: int, profile: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Inputs at each origin (rows: origins x series, origin-major), scaled by each meter's mean over the week up to
    the origin (1 kW where that mean is zero: a heating off all week), and that scale. `profile`: the training
    window's day-type profile (`DayTypeProfile.table`), read at the target."""
    known = data.values[: origins.max() + 1]
    with warnings.catch_warnings():  # a week without readings: no scale, the row is not learned from
        warnings.simplefilter("ignore", RuntimeWarning)
        weekly = pd.DataFrame(known).rolling(168, min_periods=24).mean().to_numpy()[origins]
        daily = pd.DataFrame(known).rolling(24, min_periods=6).mean().to_numpy()[origins]
    scale = np.where(weekly > 0, weekly, np.where(np.isfinite(weekly), 1.0, np.nan))
    now = carried_forward(known)[origins]
    temperature = carried_forward(data.temperature[: origins.max() + 1])
    hour, weekday = data.target_calendar(origins, horizon)
    ones = np.ones((1, len(data.names)))
    columns = {
        "same_hour_yesterday": lagged(data.values, origins, horizon, 24) / scale,
        "same_hour_last_week": lagged(data.values, origins, horizon, 168) / scale,
        "load_now": now / scale,
        "load_last_day": daily / scale,
        "target_hour_sin": np.sin(2 * np.pi * hour / 24)[:, None] * ones,
        "target_hour_cos": np.cos(2 * np.pi * hour / 24)[:, None] * ones,
        "target_weekday": weekday[:, None] * ones,
        "profile_at_target": profile[(weekday >= 5).astype(int), hour] / scale,
    }
    if np.isfinite(data.temperature).any():  # a dataset without a thermometer has no temperature inputs
        columns["temperature_now"] = temperature[origins]
        columns["temperature_change_24h"] = temperature[origins] - temperature[np.maximum(origins - 24, 0)]
    names = tuple(columns)
    matrix = np.stack([columns[n].reshape(-1) for n in names], axis=1).astype(np.float32)
    return matrix, scale.reshape(-1), names


@dataclass
class GradientBoostedLoad(LoadForecaster):
    """scikit-learn's histogram gradient boosting of the target's load relative to the meter's weekly mean."""

    name: str = "gradient_boosting"
    estimator_params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    max_training_rows: int = 300_000

    def fit(self, data: LoadSeries, horizon: int) -> GradientBoostedLoad:
        from sklearn.ensemble import HistGradientBoostingRegressor

        origins = np.arange(24, len(data.times) - horizon)
        if len(origins) < 1:
            raise ValueError(f"{len(data.times)} hours are too few to train {self.name} {horizon} h ahead")
        self.profile = DayTypeProfile().fit(data, horizon).table
        matrix, scale, self.feature_names = features(data, origins, horizon, self.profile)
        target = data.values[origins + horizon].reshape(-1) / scale
        usable = np.flatnonzero(np.isfinite(target))[-self.max_training_rows :]
        if not len(usable):
            raise ValueError(f"no hour with a week of readings before it to train {self.name} {horizon} h ahead")
        defaults = {"max_iter": 150, "learning_rate": 0.08, "max_leaf_nodes": 31, "min_samples_leaf": 40}
        params = {**defaults, **self.estimator_params, "random_state": self.seed}
        self.model = HistGradientBoostingRegressor(**params).fit(matrix[usable], target[usable])
        return self

    def predict(self, data: LoadSeries, origins: np.ndarray, horizon: int) -> np.ndarray:
        from pipelines.forecasting.registry import ModelMismatch

        matrix, scale, names = features(data, origins, horizon, self.profile)
        if names != tuple(self.feature_names):
            raise ModelMismatch(f"{self.name} was fitted on other inputs: retrain it")
        return (self.model.predict(matrix) * scale).reshape(len(origins), -1)

    def state(self) -> dict[str, Any]:
        return {"estimator": self.model, "profile": self.profile, "feature_names": list(self.feature_names)}

    def restore(self, state: dict[str, Any]) -> GradientBoostedLoad:
        from pipelines.forecasting.registry import ModelMismatch

        if "profile" not in state:
            raise ModelMismatch(f"{self.name} was stored by an earlier version without its day-type profile: retrain it")
        self.model, self.feature_names = state["estimator"], tuple(state["feature_names"])
        self.profile = np.asarray(state["profile"], dtype=np.float64)
        return self

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(self.feature_names)


def make_load_forecaster(name: str, learned_params: dict[str, dict[str, Any]] | None = None, seed: int = 0) -> LoadForecaster:
    """A fresh, unfitted forecaster by name."""
    if name == "same_hour_yesterday":
        return SameHourBefore(24, name)
    if name == "same_hour_last_week":
        return SameHourBefore(168, name)
    if name == "day_type_profile":
        return DayTypeProfile()
    if name == "gradient_boosting":
        return GradientBoostedLoad(estimator_params=dict((learned_params or {}).get(name, {})), seed=seed)
    raise ValueError(f"unknown model {name!r}; known: {', '.join(MODELS)}")


def day_ahead_origin(times: pd.DatetimeIndex, timezone: str, as_of: pd.Timestamp | None = None) -> int | None:
    """The origin of the next local day's forecast: the last hour that ends a local day (its hour 23), up to
    `as_of`; None when no day has ended."""
    local = times.tz_convert(timezone)
    ends = np.flatnonzero(np.asarray(local.hour) == 23)
    if as_of is not None:
        ends = ends[times[ends] + pd.Timedelta(hours=1) <= as_of]
    return int(ends[-1]) if len(ends) else None
