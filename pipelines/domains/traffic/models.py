"""The competing forecasters: three baselines and two learned scikit-learn models. Pure.

Every forecaster is fitted on a `SeriesData` cut at the training cutoff (`data.until(cutoff)`), so
it cannot see what came after; `predict` reads the readings up to each origin only.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipelines.domains.traffic.features import FeatureParams, FeatureSet, SeriesData, carried_forward, features
from pipelines.forecasting.model import Forecaster as SharedForecaster
from pipelines.forecasting.registry import ModelMismatch

BASELINES = ("last_value", "historical_average", "seasonal_naive")
LEARNED = ("linear_ridge", "gradient_boosting")
MODELS = (*BASELINES, *LEARNED)


def usual_level(readings: np.ndarray, observed: np.ndarray, slots: np.ndarray, steps_per_day: int) -> np.ndarray:
    """Mean observed value by time-of-day slot and sensor (slots never seen fall back to the sensor's mean)."""
    values = np.where(observed, readings, np.nan)
    table = np.full((steps_per_day, readings.shape[1]), np.nan)
    for slot in range(steps_per_day):
        rows = values[slots == slot]
        if len(rows):
            counts = np.sum(~np.isnan(rows), axis=0)
            table[slot] = np.where(counts > 0, np.nansum(rows, axis=0) / np.maximum(counts, 1), np.nan)
    counts = np.sum(~np.isnan(values), axis=0)
    overall = np.where(counts > 0, np.nansum(values, axis=0) / np.maximum(counts, 1), np.nan)
    return np.where(np.isnan(table), overall, table)


class Forecaster(SharedForecaster[SeriesData]):
    """A traffic model of the measure `horizon` steps after an origin, for every sensor at once."""


class LastValue(Forecaster):
    """The latest reading at the origin, held flat."""

    name = "last_value"

    def predict(self, data: SeriesData, origins: np.ndarray, horizon: int) -> np.ndarray:
        return carried_forward(data.values[: origins.max() + 1])[origins]


class HistoricalAverage(Forecaster):
    """The training window's mean value at the target's time of day."""

    name = "historical_average"

    def fit(self, data: SeriesData, horizon: int) -> "HistoricalAverage":
        self.table = usual_level(data.values, data.observed, data.slots, data.steps_per_day)
        return self

    def state(self) -> dict[str, Any]:
        return {"table": self.table}

    def restore(self, state: dict[str, Any]) -> "HistoricalAverage":
        self.table = np.asarray(state["table"], dtype=np.float64)
        return self

    def predict(self, data: SeriesData, origins: np.ndarray, horizon: int) -> np.ndarray:
        slot, _ = data.future_slots(origins, horizon)
        return self.table[slot]


class SeasonalNaive(Forecaster):
    """The reading one day before the target (the latest reading when that one is missing)."""

    name = "seasonal_naive"

    def predict(self, data: SeriesData, origins: np.ndarray, horizon: int) -> np.ndarray:
        known = carried_forward(data.values[: origins.max() + 1])
        day_before = origins + horizon - data.steps_per_day
        seasonal = np.where((day_before >= 0)[:, None], known[np.maximum(day_before, 0)], np.nan)
        return np.where(np.isnan(seasonal), known[origins], seasonal)


@dataclass
class LearnedForecaster(Forecaster):
    """A scikit-learn regressor of the relative change from the current level (see features.py)."""

    name: str = "learned"
    estimator_params: dict[str, Any] = field(default_factory=dict)
    feature_params: FeatureParams = field(default_factory=FeatureParams)
    max_training_rows: int = 600_000
    seed: int = 0
    learned = True

    def _estimator(self) -> Any:
        if self.name == "linear_ridge":
            from sklearn.impute import SimpleImputer
            from sklearn.linear_model import Ridge
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler

            # lags and window means are collinear by design: an iterative solver does not choke on that
            ridge = Ridge(**{"alpha": 1.0, "solver": "lsqr", **self.estimator_params})
            return make_pipeline(SimpleImputer(strategy="constant", fill_value=0.0), StandardScaler(), ridge)
        if self.name == "gradient_boosting":
            from sklearn.ensemble import HistGradientBoostingRegressor

            # absolute loss: the forecast is the conditional median, what MAE rewards; robust to spiky loops
            defaults = {
                "loss": "absolute_error",
                "max_iter": 500,
                "learning_rate": 0.08,
                "max_leaf_nodes": 63,
                "min_samples_leaf": 100,
                "random_state": self.seed,
            }
            return HistGradientBoostingRegressor(**{**defaults, **self.estimator_params})
        raise ValueError(f"unknown learned model {self.name!r}; known: {', '.join(LEARNED)}")

    def _relative(self, data: SeriesData, end: int) -> np.ndarray:
        return carried_forward(data.values[:end] / self.high_level)

    def inputs(self, data: SeriesData, origins: np.ndarray, horizon: int) -> tuple[FeatureSet, np.ndarray]:
        """The feature matrix at the origins and the current relative level (to add the predicted change to)."""
        relative = self._relative(data, int(origins.max()) + 1)
        inputs = features(relative, data, origins, horizon, self.usual, self.feature_params)
        return inputs, relative[origins].reshape(-1)

    def fit(self, data: SeriesData, horizon: int) -> "LearnedForecaster":
        observed = np.where(data.observed, data.values, np.nan)
        with warnings.catch_warnings():  # a sensor without readings has no high level: NaN, replaced below
            warnings.simplefilter("ignore", RuntimeWarning)
            high_level = np.nanpercentile(observed, 95, axis=0)
        known = np.isfinite(high_level) & (high_level > 0)
        self.high_level = np.where(known, high_level, np.median(high_level[known]) if known.any() else 100.0)
        self.usual = usual_level(data.values / self.high_level, data.observed, data.slots, data.steps_per_day)
        first = self.feature_params.lags
        origins = np.arange(first, len(data.values) - horizon)
        if len(origins) < 1:
            raise ValueError(f"{len(data.values)} steps are too few to train {self.name} for {horizon} steps ahead")
        inputs, level = self.inputs(data, origins, horizon)
        target = (data.values[origins + horizon] / self.high_level).reshape(-1) - level
        usable = data.observed[origins + horizon].reshape(-1) & np.isfinite(target) & np.isfinite(level)
        rows = np.flatnonzero(usable)[-self.max_training_rows :]  # the most recent rows when there are too many
        self.model = self._estimator().fit(inputs.matrix[rows], target[rows])
        self.feature_names = inputs.names
        return self

    def state(self) -> dict[str, Any]:
        return {
            "estimator": self.model,
            "high_level": self.high_level,
            "usual": self.usual,
            "feature_names": list(self.feature_names),
        }

    def restore(self, state: dict[str, Any]) -> "LearnedForecaster":
        self.model = state["estimator"]
        self.high_level = np.asarray(state["high_level"], dtype=np.float64)
        self.usual = np.asarray(state["usual"], dtype=np.float64)
        self.feature_names = tuple(state["feature_names"])
        return self

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(self.feature_names)

    def predict_inputs(self, inputs: FeatureSet, level: np.ndarray, n_origins: int) -> np.ndarray:
        """Speeds (km/h) from a feature matrix and the levels it was built at."""
        change = self.model.predict(inputs.matrix)
        return ((level + change).reshape(n_origins, -1)) * self.high_level

    def predict(self, data: SeriesData, origins: np.ndarray, horizon: int) -> np.ndarray:
        inputs, level = self.inputs(data, origins, horizon)
        if tuple(inputs.names) != tuple(self.feature_names):
            differing = sorted(set(inputs.names) ^ set(self.feature_names)) or ["the same inputs in another order"]
            raise ModelMismatch(
                f"{self.name} was fitted on {len(self.feature_names)} inputs and is given {len(inputs.names)}; "
                f"differing: {', '.join(differing[:5])}: retrain it"
            )
        return self.predict_inputs(inputs, level, len(origins))


def make_forecaster(name: str, learned_params: dict[str, dict[str, Any]] | None = None, seed: int = 0) -> Forecaster:
    """A fresh, unfitted forecaster by name."""
    simple: dict[str, Callable[[], Forecaster]] = {
        "last_value": LastValue,
        "historical_average": HistoricalAverage,
        "seasonal_naive": SeasonalNaive,
    }
    if name in simple:
        return simple[name]()
    if name in LEARNED:
        return LearnedForecaster(name=name, estimator_params=dict((learned_params or {}).get(name, {})), seed=seed)
    raise ValueError(f"unknown model {name!r}; known: {', '.join(MODELS)}")
