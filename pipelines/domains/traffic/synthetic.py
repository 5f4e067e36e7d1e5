"""A seeded generator of loop-detector files in the METR-LA layout, clearly labelled SYNTHETIC.

For users without the public METR-LA files: freeway corridors of sensors in a chain, free flow near
105 km/h, weekday morning and evening rush hours whose congestion starts downstream and spreads
upstream, lighter weekends, a few incidents, ~1 % missing readings (zeros, as the loops report
them). Not real measurements. File names start with SYNTHETIC_ and sensor ids with 9.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

STEPS_PER_DAY = 288
START = pd.Timestamp("2012-03-01 00:00")  # local time, a Thursday, like METR-LA


def synthetic_network(corridors: int, per_corridor: int, seed: int) -> tuple[list[str], pd.DataFrame, np.ndarray]:
    """Sensor ids, their locations (index, sensor_id, latitude, longitude) and a directed adjacency."""
    rng = np.random.default_rng(seed)
    n = corridors * per_corridor
    ids = [str(900000 + i) for i in range(n)]
    latitude, longitude = np.empty(n), np.empty(n)
    weights = np.eye(n)
    for c in range(corridors):
        heading = rng.uniform(0, np.pi)
        origin = np.array([34.05, -118.25]) + rng.normal(0, 0.05, 2)
        for k in range(per_corridor):
            i = c * per_corridor + k
            latitude[i] = origin[0] + 0.008 * k * np.cos(heading)
            longitude[i] = origin[1] + 0.008 * k * np.sin(heading)
            for step, weight in ((1, 0.7), (2, 0.3)):  # traffic flows from k to k + 1 (and reaches k + 2)
                if k + step < per_corridor:
                    weights[i, i + step] = weight
    locations = pd.DataFrame(
        {"index": range(n), "sensor_id": ids, "latitude": latitude.round(5), "longitude": longitude.round(5)}
    )
    return ids, locations, weights


def synthetic_speeds(corridors: int, per_corridor: int, days: int, seed: int) -> np.ndarray:
    """Speeds in mph (steps x sensors), 0 where the loop reported nothing."""
    rng = np.random.default_rng(seed)
    n, steps = corridors * per_corridor, days * STEPS_PER_DAY
    hour = (np.arange(steps) % STEPS_PER_DAY) / 12
    weekday = (START.weekday() + np.arange(steps) // STEPS_PER_DAY) % 7
    weekend = (weekday >= 5).astype(float)
    speed = np.empty((steps, n))
    for c in range(corridors):
        severity = rng.uniform(0.4, 0.75)
        for k in range(per_corridor):
            i = c * per_corridor + k
            lag = (per_corridor - 1 - k) * 0.25  # congestion reaches upstream sensors later
            morning = np.exp(-((hour - 7.8 - lag) ** 2) / 1.2) * (1 - 0.8 * weekend)
            evening = np.exp(-((hour - 17.3 - lag) ** 2) / 2.0) * (1 - 0.6 * weekend)
            dip = severity * np.clip(morning + evening, 0, 1)
            free = rng.uniform(62, 68)
            speed[:, i] = free * (1 - dip) + rng.normal(0, 2.0, steps)
    for _ in range(days):  # incidents: a sudden drop for 20-60 minutes that spreads upstream
        i, at = int(rng.integers(n)), int(rng.integers(steps - 12))
        length = int(rng.integers(4, 12))
        speed[at : at + length, i] *= rng.uniform(0.3, 0.6)
    speed = np.clip(speed, 3, 75).round(1)
    speed[rng.random(speed.shape) < 0.01] = 0.0
    return speed


def write_synthetic_traffic(out: Path, corridors: int = 6, per_corridor: int = 10, days: int = 7, seed: int = 11) -> list[Path]:
    """Write the three METR-LA-shaped files (speeds, sensor locations, adjacency) and return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    ids, locations, weights = synthetic_network(corridors, per_corridor, seed)
    speeds = pd.DataFrame(synthetic_speeds(corridors, per_corridor, days, seed + 1), columns=ids)
    paths = [out / "SYNTHETIC_speed.csv", out / "SYNTHETIC_graph_sensor_locations.csv", out / "SYNTHETIC_adj.csv"]
    speeds.to_csv(paths[0], index=False)
    locations.to_csv(paths[1], index=False)
    pd.DataFrame(weights).to_csv(paths[2], index=False, header=False)
    return paths


VOLUME_STEP = pd.Timedelta("15min")
VOLUME_COLUMNS = ("detector", "interval_start", "vehicles")


def synthetic_volume_counts(detectors: int, days: int, seed: int, start: str = "2024-04-01 00:00") -> pd.DataFrame:
    """15-minute vehicle counts per detector in long form (detector, local interval start, vehicles), SYNTHETIC.

    Weekday morning and evening peaks near each detector's capacity (about 1,800 vehicles per hour), quiet nights
    with real zero counts, lighter weekends; each detector misses a few single intervals and one two-hour
    stretch (a failed loop), delivered as empty counts. Detector ids start with SYN-.
    """
    rng = np.random.default_rng(seed)
    per_day = int(pd.Timedelta(days=1) / VOLUME_STEP)
    times = pd.date_range(start, periods=days * per_day, freq=VOLUME_STEP)
    hour = np.asarray(times.hour + times.minute / 60)
    weekend = np.asarray(times.weekday >= 5, dtype=float)
    frames = []
    for d in range(detectors):
        capacity = rng.uniform(1500, 2000) / 4  # vehicles per 15 minutes
        profile = (
            0.03
            + 0.9 * np.exp(-((hour - 8.0) ** 2) / 1.5) * (1 - 0.7 * weekend)
            + 0.85 * np.exp(-((hour - 17.5) ** 2) / 2.5) * (1 - 0.5 * weekend)
            + 0.35 * np.exp(-((hour - 13.0) ** 2) / 8.0)
        )
        counts = rng.poisson(np.clip(profile, 0, 1) * capacity).astype(float)
        counts[(hour >= 2) & (hour < 4)] = 0.0  # a closed ramp at night: real zeros, not gaps
        counts[rng.choice(len(counts), size=3 * days, replace=False)] = np.nan  # single lost intervals
        outage = int(rng.integers(per_day, len(counts) - 8))
        counts[outage : outage + 8] = np.nan  # two hours without a count: never filled
        frames.append(pd.DataFrame({"detector": f"SYN-{d + 1:03d}", "interval_start": times, "vehicles": counts}))
    long = pd.concat(frames, ignore_index=True)
    long["interval_start"] = long["interval_start"].dt.strftime("%Y-%m-%d %H:%M")
    long["vehicles"] = long["vehicles"].map(lambda v: "" if np.isnan(v) else str(int(v)))
    return long[list(VOLUME_COLUMNS)]


def write_synthetic_volumes(out: Path, detectors: int = 8, days: int = 14, seed: int = 21) -> Path:
    """Write a SYNTHETIC 15-minute loop-volume file (the `loop_volumes_15min` feed's layout) and return its path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "SYNTHETIC_loop_volumes_15min.csv"
    synthetic_volume_counts(detectors, days, seed).to_csv(path, index=False)
    return path
