"""Readings of one measure as a regular panel (time x sensor) at the sensors' native step, short gaps interpolated
and flagged. Pure.

A loop detector reports speed, volume or occupancy (any subset) every 5, 15 or 60 minutes. Each sensor keeps
its own native step (the most common interval between its readings): a 15-minute count is never put on a
5-minute grid, which would invent two of every three values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

OBSERVED, INTERPOLATED, MISSING = "observed", "interpolated", "missing"


@dataclass(frozen=True)
class Panel:
    """One measure on a regular time grid: `values[t, s]` (NaN = missing) and whether it was measured."""

    times: pd.DatetimeIndex  # UTC, every `step`
    sensors: tuple[str, ...]
    values: np.ndarray  # float64, T x N, in the measure's unit
    observed: np.ndarray  # bool, T x N: a real reading (False where interpolated or missing)
    step: pd.Timedelta

    @property
    def steps_per_day(self) -> int:
        """How many steps make a day (288 for 5 minutes)."""
        return int(pd.Timedelta(days=1) / self.step)

    @property
    def step_minutes(self) -> int:
        return int(self.step / pd.Timedelta(minutes=1))

    def time_slots(self, timezone: str) -> np.ndarray:
        """Local time of day of each row as a slot number (0 .. steps_per_day - 1)."""
        local = self.times.tz_convert(timezone)
        minutes = local.hour * 60 + local.minute
        return (np.asarray(minutes) // self.step_minutes).astype(np.int64)

    def weekdays(self, timezone: str) -> np.ndarray:
        """Local weekday of each row (Monday = 0)."""
        return np.asarray(self.times.tz_convert(timezone).weekday, dtype=np.int64)

    def select(self, sensors: list[str]) -> "Panel":
        """The same panel restricted to some sensors."""
        index = [self.sensors.index(s) for s in sensors]
        return Panel(self.times, tuple(sensors), self.values[:, index], self.observed[:, index], self.step)


def regular_panel(readings: pd.DataFrame, step: pd.Timedelta, value: str = "value") -> Panel:
    """Pivot readings (sensor_id, ts_utc, `value`) onto every step between the first and last reading."""
    if readings.empty:
        raise ValueError("no traffic readings to build a panel from")
    wide = readings.pivot_table(index="ts_utc", columns="sensor_id", values=value, aggfunc="first", dropna=False)
    start, end = wide.index.min(), wide.index.max()
    times = pd.date_range(start, end, freq=step, tz="UTC")
    off_grid = wide.index.difference(times)
    if len(off_grid):
        raise ValueError(f"{len(off_grid)} readings are not on the {step} grid starting {start}, e.g. {off_grid[0]}")
    wide = wide.reindex(times).sort_index(axis=1)
    values = wide.to_numpy(dtype=np.float64)
    return Panel(times, tuple(str(c) for c in wide.columns), values, ~np.isnan(values), step)


def fill_short_gaps(panel: Panel, max_gap_steps: int) -> Panel:
    """Interpolate linearly across gaps of at most `max_gap_steps` missing readings between two readings.

    Longer gaps, and gaps at either end of the series, stay missing: a guess over half an hour of
    congestion would be invented data. `observed` is unchanged, so interpolated values stay flagged.
    """
    values = panel.values.copy()
    for s in range(values.shape[1]):
        column = values[:, s]
        missing = np.isnan(column)
        if not missing.any() or missing.all():
            continue
        edges = np.flatnonzero(np.diff(np.concatenate(([0], missing.astype(np.int8), [0]))))
        for start, stop in zip(edges[::2], edges[1::2]):  # [start, stop) is one run of missing readings
            if start == 0 or stop == len(column) or stop - start > max_gap_steps:
                continue
            before, after = column[start - 1], column[stop]
            fraction = np.arange(1, stop - start + 1) / (stop - start + 1)
            column[start:stop] = before + (after - before) * fraction
    return Panel(panel.times, panel.sensors, values, panel.observed, panel.step)


def panel_rows(panel: Panel, timezone: str) -> pd.DataFrame:
    """The panel as one row per sensor and step: value, status (observed/interpolated/missing), local date, step."""
    n_times, n_sensors = panel.values.shape
    values = panel.values.T.reshape(-1)
    observed = panel.observed.T.reshape(-1)
    status = np.where(observed, OBSERVED, np.where(np.isnan(values), MISSING, INTERPOLATED))
    ts = panel.times[np.tile(np.arange(n_times), n_sensors)].as_unit("us")
    return pd.DataFrame(
        {
            "sensor_id": np.repeat(np.array(panel.sensors, dtype=object), n_times),
            "ts_utc": ts,
            "local_date": ts.tz_convert(timezone).date,
            "step_min": np.int32(panel.step_minutes),
            "value": values,
            "status": status,
        }
    )


@dataclass(frozen=True)
class SensorGrid:
    """A sensor's native step for one measure and where its grid sits within the step (its phase)."""

    step: pd.Timedelta
    phase: pd.Timedelta


def sensor_grids(readings: pd.DataFrame) -> dict[str, SensorGrid]:
    """Per sensor, the most common interval between its readings (the smallest of equally common ones) and phase.

    A sensor with a single reading has no step and is left out.
    """
    grids = {}
    epoch = pd.Timestamp(0, tz="UTC")
    for sensor, times in readings.groupby("sensor_id", sort=True)["ts_utc"]:
        ordered = times.drop_duplicates().sort_values()
        gaps = ordered.diff().dropna()
        if gaps.empty:
            continue
        step = pd.Timedelta(gaps.mode().min())
        phase = ((ordered - epoch) % step).mode().min()
        grids[str(sensor)] = SensorGrid(step, pd.Timedelta(phase))
    return grids


@dataclass(frozen=True)
class Curated:
    """One measure's readings on their sensors' native grids, and what could not be placed on them."""

    rows: pd.DataFrame  # panel_rows of every grid
    off_grid: int  # readings between a sensor's grid points (left in the clean zone, not in the curated mart)
    single_readings: tuple[str, ...]  # sensors with one reading: no step to place it on
    steps: dict[int, int]  # native step (minutes) -> number of sensors


def curate_measure(readings: pd.DataFrame, measure: str, max_gap: pd.Timedelta, timezone: str) -> Curated:
    """Readings (sensor_id, ts_utc, `measure`) on each sensor's native grid, gaps of at most `max_gap` interpolated.

    Sensors sharing a step and phase share one panel (the range of that group's readings).
    """
    present = readings.loc[readings[measure].notna(), ["sensor_id", "ts_utc", measure]].rename(columns={measure: "value"})
    grids = sensor_grids(present)
    single = tuple(sorted(set(present["sensor_id"].astype(str)) - set(grids)))
    frames, off_grid = [], 0
    groups: dict[SensorGrid, list[str]] = {}
    for sensor, grid in grids.items():
        groups.setdefault(grid, []).append(sensor)
    epoch = pd.Timestamp(0, tz="UTC")
    for grid, sensors in sorted(groups.items(), key=lambda g: (g[0].step, g[0].phase)):
        group = present[present["sensor_id"].isin(sensors)]
        on_grid = (group["ts_utc"] - epoch) % grid.step == grid.phase
        off_grid += int((~on_grid).sum())
        panel = regular_panel(group[on_grid], grid.step)
        frames.append(panel_rows(fill_short_gaps(panel, int(max_gap // grid.step)), timezone))
    rows = pd.concat(frames, ignore_index=True) if frames else panel_rows(_empty_panel(), timezone)
    steps: dict[int, int] = {}
    for grid in grids.values():
        minutes = int(grid.step / pd.Timedelta(minutes=1))
        steps[minutes] = steps.get(minutes, 0) + 1
    return Curated(rows.assign(measure=measure), off_grid, single, dict(sorted(steps.items())))


def _empty_panel() -> Panel:
    return Panel(pd.DatetimeIndex([], tz="UTC"), (), np.empty((0, 0)), np.empty((0, 0), dtype=bool), pd.Timedelta("5min"))


def panel_from_rows(rows: pd.DataFrame, step: pd.Timedelta) -> Panel:
    """Rebuild a panel from its rows (one measure and step of the traffic_readings_clean mart)."""
    base = regular_panel(rows[["sensor_id", "ts_utc", "value"]], step)
    flags = rows.assign(is_observed=rows["status"] == OBSERVED).pivot_table(
        index="ts_utc", columns="sensor_id", values="is_observed", aggfunc="first"
    )
    flags = flags.reindex(index=base.times, columns=list(base.sensors))
    observed = flags.fillna(False).to_numpy(dtype=bool)
    return Panel(base.times, base.sensors, base.values, observed, step)
