"""Hourly AQI a day ahead, per station: the series, its candidate models and the heavy-pollution warning. Pure.

The series is every station's hourly AQI (`air_aqi_hourly`) on a complete hourly UTC index, with what the models
may know at an origin: the pollutant concentrations and the weather of the feed (`clean/air_quality_hourly`) up
to that hour, the local hour and the season. Candidates:

- `persistence`: the AQI at the origin, held (the baseline to beat);
- `climatology`: the training window's mean AQI for the station, the target's month and local hour;
- `linear_ridge` and `gradient_boosting`: the change of AQI from the origin to the target, learned from the recent
  AQI, the pollutants, the weather and its last three hours' change, the target's hour and season, and the
  climatology at the target; one model per horizon (direct forecasting).

Models follow the forecasting component's interface (fit on the past, predict from origins, state for the
registry), so the shared backtest, leaderboard, intervals and live scoring apply unchanged.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipelines.forecasting.model import Forecaster, carried_forward

HEAVY_POLLUTION_AQI = 201  # HJ 633-2012: 201-300 heavily polluted, above 300 severely polluted
POLLUTANTS = ("pm25_ug_m3", "pm10_ug_m3", "so2_ug_m3", "no2_ug_m3", "co_mg_m3", "o3_ug_m3")
WEATHER = ("temp_c", "pres_hpa", "dewp_c", "rain_mm", "wind_speed_m_s")
WIND_DIRECTIONS = {  # degrees the wind comes from, for the 16 compass points the feed writes
    d: i * 22.5
    for i, d in enumerate(("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"))
}
BASELINES = ("persistence", "climatology")
LEARNED = ("linear_ridge", "gradient_boosting")
MODELS = (*BASELINES, *LEARNED)
AQI_LAGS = (1, 2, 3, 6, 12, 24)


@dataclass(frozen=True)
class AirSeries:
    """Every station's hourly AQI and what the models may know, on one hourly UTC index (NaN = missing)."""

    times: pd.DatetimeIndex
    stations: tuple[str, ...]
    values: np.ndarray  # T x N hourly AQI
    observed: np.ndarray  # T x N: an AQI was computed for that hour
    inputs: dict[str, np.ndarray]  # name -> T x N: pollutants, weather, wind components
    local_hours: np.ndarray  # T
    months: np.ndarray  # T, 1..12
    timezone: str = "Asia/Shanghai"
    zero_is_missing: bool = False  # an AQI of 0 is a clean hour, not a missing one

    @classmethod
    def from_frames(cls, aqi: pd.DataFrame, clean: pd.DataFrame, timezone: str) -> AirSeries:
        """From `air_aqi_hourly` rows (station, ts_utc, aqi) and `clean/air_quality_hourly` rows."""
        start, end = min(aqi["ts_utc"].min(), clean["ts_utc"].min()), max(aqi["ts_utc"].max(), clean["ts_utc"].max())
        times = pd.date_range(start, end, freq="1h", tz="UTC")
        stations = tuple(sorted(set(aqi["station"]) | set(clean["station"])))

        def grid(frame: pd.DataFrame, column: str) -> np.ndarray:
            table = frame.pivot_table(index="ts_utc", columns="station", values=column, aggfunc="last")
            return table.reindex(index=times, columns=list(stations)).to_numpy(dtype=np.float64)

        values = grid(aqi.assign(aqi=aqi["aqi"].astype("float64")), "aqi")
        weather = clean.assign(
            wind_u=np.sin(np.radians(clean["wind_dir"].map(WIND_DIRECTIONS))) * clean["wind_speed_m_s"],
            wind_v=np.cos(np.radians(clean["wind_dir"].map(WIND_DIRECTIONS))) * clean["wind_speed_m_s"],
        )
        inputs = {name: grid(weather, name) for name in (*POLLUTANTS, *WEATHER, "wind_u", "wind_v")}
        local = times.tz_convert(timezone)
        return cls(
            times, stations, values, np.isfinite(values), inputs, np.asarray(local.hour), np.asarray(local.month), timezone
        )

    def until(self, end: int) -> AirSeries:
        """Only the hours before `end`: what a model trained then may know."""
        return AirSeries(
            self.times[:end],
            self.stations,
            self.values[:end],
            self.observed[:end],
            {k: v[:end] for k, v in self.inputs.items()},
            self.local_hours[:end],
            self.months[:end],
            self.timezone,
        )

    def target_calendar(self, origins: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """Local hour and month of origin + horizon (the calendar is known ahead)."""
        local = pd.DatetimeIndex(self.times[origins] + pd.Timedelta(hours=horizon)).tz_convert(self.timezone)
        return np.asarray(local.hour), np.asarray(local.month)


class AirForecaster(Forecaster[AirSeries]):
    """An air-quality model of the AQI `horizon` hours after an origin, for every station at once."""


class Persistence(AirForecaster):
    """The AQI at the origin, held."""

    name = "persistence"

    def predict(self, data: AirSeries, origins: np.ndarray, horizon: int) -> np.ndarray:
        return carried_forward(data.values[: origins.max() + 1])[origins]


def climatology_table(data: AirSeries) -> np.ndarray:
    """Mean AQI by month (12) x local hour (24) x station, falling back to the station's hour, then its mean."""
    table = np.full((12, 24, len(data.stations)), np.nan)
    with warnings.catch_warnings():  # a month or hour never seen is NaN, filled below
        warnings.simplefilter("ignore", RuntimeWarning)
        by_hour = np.stack([np.nanmean(data.values[data.local_hours == h], axis=0) for h in range(24)])
        overall = np.nanmean(data.values, axis=0)
        for month in range(1, 13):
            for hour in range(24):
                rows = data.values[(data.months == month) & (data.local_hours == hour)]
                if len(rows):
                    table[month - 1, hour] = np.nanmean(rows, axis=0)
    table = np.where(np.isnan(table), by_hour[None, :, :], table)
    return np.where(np.isnan(table), overall[None, None, :], table)


class Climatology(AirForecaster):
    """The training window's mean AQI for the station at the target's month and local hour."""

    name = "climatology"

    def fit(self, data: AirSeries, horizon: int) -> Climatology:
        self.table = climatology_table(data)
        return self

    def predict(self, data: AirSeries, origins: np.ndarray, horizon: int) -> np.ndarray:
        hour, month = data.target_calendar(origins, horizon)
        return self.table[month - 1, hour]

    def state(self) -> dict[str, Any]:
        return {"table": self.table}

    def restore(self, state: dict[str, Any]) -> Climatology:
        self.table = np.asarray(state["table"], dtype=np.float64)
        return self


def features(data: AirSeries, origins: np.ndarray, horizon: int, climate: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """The inputs at each origin (rows: origins x stations, origin-major), from what is known at the origin."""
    known = carried_forward(data.values[: origins.max() + 1])
    level = known[origins]
    columns: dict[str, np.ndarray] = {"aqi": level}
    for lag in AQI_LAGS:
        back = np.maximum(origins - lag, 0)
        columns[f"aqi_change_{lag}h"] = np.where((origins >= lag)[:, None], level - known[back], np.nan)
    for name, values in data.inputs.items():
        now = carried_forward(values[: origins.max() + 1])
        columns[name] = now[origins]
        if name in (*WEATHER, "wind_u", "wind_v"):
            columns[f"{name}_change_3h"] = np.where(
                (origins >= 3)[:, None], now[origins] - now[np.maximum(origins - 3, 0)], np.nan
            )
    hour, month = data.target_calendar(origins, horizon)
    per_station = np.ones((1, len(data.stations)))
    columns["target_hour_sin"] = np.sin(2 * np.pi * hour / 24)[:, None] * per_station
    columns["target_hour_cos"] = np.cos(2 * np.pi * hour / 24)[:, None] * per_station
    columns["target_month_sin"] = np.sin(2 * np.pi * month / 12)[:, None] * per_station
    columns["target_month_cos"] = np.cos(2 * np.pi * month / 12)[:, None] * per_station
    columns["climatology_at_target"] = climate[month - 1, hour] - level
    names = tuple(columns)
    return np.stack([columns[n].reshape(-1) for n in names], axis=1).astype(np.float32), names


@dataclass
class LearnedAirForecaster(AirForecaster):
    """A scikit-learn regressor of the AQI's change from the origin to the target."""

    name: str = "gradient_boosting"
    estimator_params: dict[str, Any] = field(default_factory=dict)
    max_training_rows: int = 400_000
    seed: int = 0

    def _estimator(self) -> Any:
        if self.name == "linear_ridge":
            from sklearn.impute import SimpleImputer
            from sklearn.linear_model import Ridge
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler

            ridge = Ridge(**{"alpha": 1.0, "solver": "lsqr", **self.estimator_params})
            return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), ridge)
        if self.name == "gradient_boosting":
            from sklearn.ensemble import HistGradientBoostingRegressor

            defaults = {
                "max_iter": 300,
                "learning_rate": 0.06,
                "max_leaf_nodes": 63,
                "min_samples_leaf": 50,
                "random_state": self.seed,
            }
            return HistGradientBoostingRegressor(**{**defaults, **self.estimator_params})
        raise ValueError(f"unknown learned model {self.name!r}; known: {', '.join(LEARNED)}")

    def fit(self, data: AirSeries, horizon: int) -> LearnedAirForecaster:
        self.climate = climatology_table(data)
        origins = np.arange(max(AQI_LAGS), len(data.values) - horizon)
        if len(origins) < 1:
            raise ValueError(f"{len(data.values)} hours are too few to train {self.name} {horizon} h ahead")
        matrix, self.feature_names = features(data, origins, horizon, self.climate)
        level = carried_forward(data.values)[origins].reshape(-1)
        target = data.values[origins + horizon].reshape(-1) - level
        usable = np.flatnonzero(np.isfinite(target))[-self.max_training_rows :]
        self.model = self._estimator().fit(matrix[usable], target[usable])
        return self

    def predict(self, data: AirSeries, origins: np.ndarray, horizon: int) -> np.ndarray:
        from pipelines.forecasting.registry import ModelMismatch

        matrix, names = features(data, origins, horizon, self.climate)
        if names != tuple(self.feature_names):
            raise ModelMismatch(
                f"{self.name} was fitted on other inputs: {sorted(set(names) ^ set(self.feature_names))[:5]}: retrain it"
            )
        level = carried_forward(data.values[: origins.max() + 1])[origins]
        return level + self.model.predict(matrix).reshape(len(origins), -1)

    def state(self) -> dict[str, Any]:
        return {"estimator": self.model, "climate": self.climate, "feature_names": list(self.feature_names)}

    def restore(self, state: dict[str, Any]) -> LearnedAirForecaster:
        self.model, self.climate = state["estimator"], np.asarray(state["climate"], dtype=np.float64)
        self.feature_names = tuple(state["feature_names"])
        return self

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(self.feature_names)


def make_air_forecaster(name: str, learned_params: dict[str, dict[str, Any]] | None = None, seed: int = 0) -> AirForecaster:
    """A fresh, unfitted forecaster by name."""
    if name == "persistence":
        return Persistence()
    if name == "climatology":
        return Climatology()
    if name in LEARNED:
        return LearnedAirForecaster(name=name, estimator_params=dict((learned_params or {}).get(name, {})), seed=seed)
    raise ValueError(f"unknown model {name!r}; known: {', '.join(MODELS)}")


@dataclass(frozen=True)
class WarningSkill:
    """How a heavy-pollution warning (forecast AQI >= 201) did against what happened."""

    events: int  # hours that were heavily polluted (or worse)
    warnings: int  # hours a warning was issued for
    hits: int  # warned and happened

    @property
    def hit_rate(self) -> float:
        """Share of polluted hours that were warned of (probability of detection)."""
        return self.hits / self.events if self.events else float("nan")

    @property
    def false_alarm_ratio(self) -> float:
        """Share of warnings whose hour was not polluted."""
        return (self.warnings - self.hits) / self.warnings if self.warnings else float("nan")


def warning_skill(actual: np.ndarray, predicted: np.ndarray, threshold: float = HEAVY_POLLUTION_AQI) -> WarningSkill:
    """Hit rate and false alarms of warnings `predicted >= threshold` where the actual is known."""
    known = np.isfinite(actual) & np.isfinite(predicted)
    event, warned = (actual >= threshold) & known, (predicted >= threshold) & known
    return WarningSkill(int(event.sum()), int(warned.sum()), int((event & warned).sum()))


WARNING_COLUMNS = [
    "origin_date",
    "station",
    "target_ts_utc",
    "origin_ts_utc",
    "lead_time_min",
    "predicted",
    "upper",
    "threshold",
    "severity",
    "basis",
    "model",
    "training_id",
]
SEVERE_POLLUTION_AQI = 301


def heavy_pollution_warnings(rows: pd.DataFrame, threshold: int = HEAVY_POLLUTION_AQI) -> pd.DataFrame:
    """One warning per station and target hour that a champion forecast flagged, from the earliest forecast.

    `rows` are forecasts (origin_date, station, origin_ts_utc, target_ts_utc, horizon_min, predicted, upper, model,
    training_id). A forecast at or above the threshold warns (`heavy`, or `severe` from 301; basis `point`); where
    none does but an interval's upper end reaches it, a `watch` (basis `interval`). The longest lead is kept, a
    point warning before an interval one.
    """
    point = rows[rows["predicted"] >= threshold].assign(
        basis="point", severity=lambda f: np.where(f["predicted"] >= SEVERE_POLLUTION_AQI, "severe", "heavy")
    )
    interval = rows[(rows["predicted"] < threshold) & (rows["upper"] >= threshold)].assign(basis="interval", severity="watch")
    flagged = pd.concat([point, interval], ignore_index=True)
    if flagged.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in WARNING_COLUMNS})
    flagged = flagged.assign(interval_last=flagged["basis"] != "point").sort_values(
        ["station", "target_ts_utc", "interval_last", "horizon_min"], ascending=[True, True, True, False], kind="stable"
    )
    first = flagged.drop_duplicates(["station", "target_ts_utc"], keep="first").reset_index(drop=True)
    return first.assign(lead_time_min=first["horizon_min"].astype("int64"), threshold=threshold)[WARNING_COLUMNS]


def earliest_warnings(warnings: pd.DataFrame) -> pd.DataFrame:
    """Warnings of several runs as the mart keeps them: per origin date, station and target hour, a point warning
    before an interval one, then the longest lead time."""
    ordered = warnings.assign(interval_last=warnings["basis"] != "point").sort_values(
        ["origin_date", "station", "target_ts_utc", "interval_last", "lead_time_min"],
        ascending=[True, True, True, True, False],
        kind="stable",
    )
    return ordered.drop_duplicates(["origin_date", "station", "target_ts_utc"], keep="first")[WARNING_COLUMNS].reset_index(
        drop=True
    )
