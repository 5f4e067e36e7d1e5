"""What the learned forecasters see at a forecast origin: only readings up to that origin. Pure.

Everything is in relative units (the value / the sensor's high level, its 95th percentile in the training window:
free-flow speed for speeds, a busy interval's count for volumes)
so that one model serves every sensor, and most inputs are differences to the current level so that
trees learn changes, not sensor identities.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pipelines.domains.traffic.network import Network
from pipelines.domains.traffic.panel import Panel

FACTORS = ("recent_level", "recent_trend", "upstream", "downstream", "adjacent", "time_of_day", "weekday", "usual_level")


@dataclass(frozen=True)
class SeriesData:
    """A panel with its calendar and network, ready for the forecasters."""

    values: np.ndarray  # T x N in the measure's unit, short gaps filled, NaN = missing
    observed: np.ndarray  # T x N: a real reading (what the metrics score and the models learn from)
    slots: np.ndarray  # T: local time-of-day slot
    weekdays: np.ndarray  # T: local weekday (Monday = 0)
    steps_per_day: int
    network: Network
    zero_is_missing: bool = True  # speeds: a zero is no reading (not scored); counts: a zero is a quiet interval

    @classmethod
    def from_panel(cls, panel: Panel, network: Network, timezone: str, zero_is_missing: bool = True) -> "SeriesData":
        """Calendar in the city's local time; the network in the panel's sensor order."""
        return cls(
            panel.values,
            panel.observed,
            panel.time_slots(timezone),
            panel.weekdays(timezone),
            panel.steps_per_day,
            network,
            zero_is_missing,
        )

    def until(self, end: int) -> "SeriesData":
        """Only the rows before `end`: what a model trained at that moment may know."""
        return replace(
            self, values=self.values[:end], observed=self.observed[:end], slots=self.slots[:end], weekdays=self.weekdays[:end]
        )

    def future_slots(self, origins: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """Time-of-day slot and weekday of origin + horizon (the calendar is known in advance, even past the data)."""
        slot = self.slots[origins] + horizon
        return slot % self.steps_per_day, (self.weekdays[origins] + slot // self.steps_per_day) % 7

    @property
    def n_sensors(self) -> int:
        return self.values.shape[1]


def carried_forward(values: np.ndarray) -> np.ndarray:
    """Each row's last known value at or before it (causal: never looks ahead)."""
    return pd.DataFrame(values).ffill().to_numpy(dtype=np.float64)


@dataclass(frozen=True)
class FeatureParams:
    """Which inputs the learned models get."""

    lags: int = 12  # own readings: the last hour at 5 minutes
    windows: tuple[int, ...] = (3, 6, 12)
    closest: int = 5  # most strongly linked sensors, one by one
    neighbour_lags: tuple[int, ...] = (0, 1, 3, 6)
    mix_lags: tuple[int, ...] = (0, 1, 2, 3)


@dataclass(frozen=True)
class FeatureSet:
    """A feature matrix (one row per origin x sensor) with column names and the factor each column belongs to."""

    matrix: np.ndarray
    names: tuple[str, ...]
    groups: dict[str, list[int]]

    def with_matrix(self, matrix: np.ndarray) -> "FeatureSet":
        """The same columns over other values (a shuffled copy, for permutation importance)."""
        return FeatureSet(matrix, self.names, self.groups)


class _Columns:
    """Collects named columns by factor, then stacks them once."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.groups: dict[str, list[int]] = {}
        self.values: list[np.ndarray] = []

    def add(self, name: str, factor: str, values: np.ndarray) -> None:
        self.groups.setdefault(factor, []).append(len(self.names))
        self.names.append(name)
        self.values.append(values.reshape(-1).astype(np.float32))

    def stacked(self) -> FeatureSet:
        return FeatureSet(np.stack(self.values, axis=1), tuple(self.names), self.groups)


def features(
    relative: np.ndarray, data: SeriesData, origins: np.ndarray, horizon: int, usual: np.ndarray, params: FeatureParams
) -> FeatureSet:
    """The inputs at each origin (rows: origins x sensors, origin-major) from relative values up to that origin.

    `relative` must be causal (carried forward); `usual` is the usual relative value by slot and sensor,
    fitted on the training window. Indices before the first row read as missing.
    """
    n = data.n_sensors
    padded = np.vstack([np.full((max(params.lags, max(params.neighbour_lags), max(params.mix_lags)) + 1, n), np.nan), relative])
    shift = len(padded) - len(relative)

    def at(lag: int, series: np.ndarray = padded) -> np.ndarray:
        return series[origins + shift - lag]

    level = at(0)
    out = _Columns()
    out.add("level", "recent_level", level)
    for k in range(1, params.lags):
        out.add(f"lag_{k}", "recent_trend", at(k) - level)
    history = np.stack([at(k) for k in range(max(params.windows))])
    with warnings.catch_warnings():  # windows before the first reading are all-missing: NaN is the right answer
        warnings.simplefilter("ignore", RuntimeWarning)
        for w in params.windows:
            out.add(f"mean_{w}", "recent_trend", np.nanmean(history[:w], axis=0) - level)
        out.add("std_hour", "recent_trend", np.nanstd(history, axis=0))
        out.add("min_hour", "recent_trend", np.nanmin(history, axis=0) - level)
    network = data.network
    mixes = (
        {"upstream": network.upstream_mix(), "downstream": network.downstream_mix()}
        if network.directed
        else {"adjacent": network.adjacent_mix()}
    )
    for group, mix in mixes.items():
        mixed = np.where(np.isnan(padded), 1.0, padded) @ mix.T  # an unknown neighbour counts as free-flowing
        for k in params.mix_lags:
            out.add(f"{group}_mean_lag_{k}", group, at(k, mixed) - level)
    closest = network.closest(params.closest)
    for j in range(params.closest):
        for k in params.neighbour_lags:
            out.add(f"closest_{j + 1}_lag_{k}", "adjacent", at(k)[:, closest[:, j]] - level)
    slot, weekday = data.future_slots(origins, horizon)
    per_sensor = np.ones((1, n))
    angle = 2 * np.pi * slot / data.steps_per_day
    out.add("target_slot", "time_of_day", slot[:, None] * per_sensor)
    out.add("target_slot_sin", "time_of_day", np.sin(angle)[:, None] * per_sensor)
    out.add("target_slot_cos", "time_of_day", np.cos(angle)[:, None] * per_sensor)
    out.add("target_weekday", "weekday", weekday[:, None] * per_sensor)
    out.add("target_weekend", "weekday", (weekday >= 5)[:, None] * per_sensor)
    out.add("usual_at_target", "usual_level", usual[slot] - level)
    out.add("usual_now", "usual_level", usual[data.slots[origins]] - level)  # how far from its usual level it is now
    return out.stacked()
