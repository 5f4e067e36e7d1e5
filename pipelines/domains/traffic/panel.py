"""Readings as a regular panel (time x sensor), with short gaps interpolated and flagged. Pure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

OBSERVED, INTERPOLATED, MISSING = "observed", "interpolated", "missing"


@dataclass(frozen=True)
class Panel:
    """Speeds on a regular time grid: `speed[t, s]` (km/h, NaN = missing) and whether it was measured."""

    times: pd.DatetimeIndex  # UTC, every `step`
    sensors: tuple[str, ...]
    speed: np.ndarray  # float64, T x N
    observed: np.ndarray  # bool, T x N: a real reading (False where interpolated or missing)
    step: pd.Timedelta

    @property
    def steps_per_day(self) -> int:
        """How many steps make a day (288 for 5 minutes)."""
        return int(pd.Timedelta(days=1) / self.step)

    def time_slots(self, timezone: str) -> np.ndarray:
        """Local time of day of each row as a slot number (0 .. steps_per_day - 1)."""
        local = self.times.tz_convert(timezone)
        minutes = local.hour * 60 + local.minute
        return (np.asarray(minutes) // int(self.step / pd.Timedelta(minutes=1))).astype(np.int64)

    def weekdays(self, timezone: str) -> np.ndarray:
        """Local weekday of each row (Monday = 0)."""
        return np.asarray(self.times.tz_convert(timezone).weekday, dtype=np.int64)

    def select(self, sensors: list[str]) -> "Panel":
        """The same panel restricted to some sensors."""
        index = [self.sensors.index(s) for s in sensors]
        return Panel(self.times, tuple(sensors), self.speed[:, index], self.observed[:, index], self.step)


def regular_panel(readings: pd.DataFrame, step: pd.Timedelta) -> Panel:
    """Pivot readings (sensor_id, ts_utc, speed_kmh) onto every step between the first and last reading."""
    if readings.empty:
        raise ValueError("no traffic readings to build a panel from")
    wide = readings.pivot_table(index="ts_utc", columns="sensor_id", values="speed_kmh", aggfunc="first", dropna=False)
    start, end = wide.index.min(), wide.index.max()
    times = pd.date_range(start, end, freq=step, tz="UTC")
    off_grid = wide.index.difference(times)
    if len(off_grid):
        raise ValueError(f"{len(off_grid)} readings are not on the {step} grid starting {start}, e.g. {off_grid[0]}")
    wide = wide.reindex(times).sort_index(axis=1)
    speed = wide.to_numpy(dtype=np.float64)
    return Panel(times, tuple(str(c) for c in wide.columns), speed, ~np.isnan(speed), step)


def fill_short_gaps(panel: Panel, max_gap_steps: int) -> Panel:
    """Interpolate linearly across gaps of at most `max_gap_steps` missing readings between two readings.

    Longer gaps, and gaps at either end of the series, stay missing: a guess over half an hour of
    congestion would be invented data. `observed` is unchanged, so interpolated values stay flagged.
    """
    speed = panel.speed.copy()
    for s in range(speed.shape[1]):
        column = speed[:, s]
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
    return Panel(panel.times, panel.sensors, speed, panel.observed, panel.step)


def panel_rows(panel: Panel, timezone: str) -> pd.DataFrame:
    """The panel as one row per sensor and step: speed, status (observed/interpolated/missing), local date."""
    n_times, n_sensors = panel.speed.shape
    speed = panel.speed.T.reshape(-1)
    observed = panel.observed.T.reshape(-1)
    status = np.where(observed, OBSERVED, np.where(np.isnan(speed), MISSING, INTERPOLATED))
    ts = panel.times[np.tile(np.arange(n_times), n_sensors)].as_unit("us")
    return pd.DataFrame(
        {
            "sensor_id": np.repeat(np.array(panel.sensors, dtype=object), n_times),
            "ts_utc": ts,
            "local_date": ts.tz_convert(timezone).date,
            "speed_kmh": speed,
            "status": status,
        }
    )


def panel_from_rows(rows: pd.DataFrame, step: pd.Timedelta) -> Panel:
    """Rebuild a panel from its rows (the traffic_readings_clean mart)."""
    base = regular_panel(rows[["sensor_id", "ts_utc", "speed_kmh"]], step)
    flags = rows.assign(is_observed=rows["status"] == OBSERVED).pivot_table(
        index="ts_utc", columns="sensor_id", values="is_observed", aggfunc="first"
    )
    flags = flags.reindex(index=base.times, columns=list(base.sensors))
    observed = flags.fillna(False).to_numpy(dtype=bool)
    return Panel(base.times, base.sensors, base.speed, observed, step)
