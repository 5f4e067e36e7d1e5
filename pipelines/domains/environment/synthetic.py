"""A seeded generator of hourly air-quality files in the PRSA layout, clearly labelled SYNTHETIC.

For users without the public Beijing files: realistic shape (diurnal and seasonal cycles, winter
haze episodes that build over days and clear with wind, O3 peaking on summer afternoons, ~3 % gaps),
not real measurements. File names start with SYNTHETIC_ and stations with Synth.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pandas as pd

PRSA_HEADER = (
    "No",
    "year",
    "month",
    "day",
    "hour",
    "PM2.5",
    "PM10",
    "SO2",
    "NO2",
    "CO",
    "O3",
    "TEMP",
    "PRES",
    "DEWP",
    "RAIN",
    "wd",
    "WSPM",
    "station",
)
WIND_DIRECTIONS = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")


def synthetic_station(station: str, start: dt.date, days: int, seed: int, gap_rate: float = 0.03) -> bytes:
    """One station's PRSA-layout CSV for `days` days from `start` (local time), deterministic for a seed."""
    rng = np.random.default_rng(seed)
    hours = pd.date_range(pd.Timestamp(start), periods=days * 24, freq="1h")
    n = len(hours)
    doy = hours.dayofyear.to_numpy()
    hod = hours.hour.to_numpy()
    winter = 0.5 + 0.5 * np.cos(2 * np.pi * (doy - 15) / 365.25)  # 1 in mid-January, 0 in mid-July
    # haze: a slow random walk that builds for days and is reset by clean northerly wind
    haze = np.zeros(n)
    level = 0.0
    for i in range(n):
        if rng.random() < 1 / 60:
            level = 0.0
        level = min(3.0, max(0.0, level + rng.normal(0.002 + 0.012 * winter[i], 0.04)))
        haze[i] = level
    diurnal = 1 + 0.25 * np.cos(2 * np.pi * (hod - 21) / 24)
    pm25 = np.clip((12 + 45 * winter) * diurnal * (1 + 2.2 * haze) * rng.lognormal(0, 0.25, n), 2, 999)
    pm10 = np.clip(pm25 * rng.uniform(1.1, 1.6, n) + rng.normal(10, 5, n), 2, 999)
    so2 = np.clip((4 + 30 * winter) * (1 + 0.5 * haze) * rng.lognormal(0, 0.4, n), 0.5, 500)
    no2 = np.clip((25 + 35 * winter) * (1 + 0.3 * np.cos(2 * np.pi * (hod - 20) / 24)) * rng.lognormal(0, 0.3, n), 1, 300)
    co = np.clip(200 + 12 * pm25 * rng.lognormal(0, 0.2, n), 100, 10000).round(-2)
    sun = np.clip(np.sin(np.pi * (hod - 6) / 12), 0, None)
    o3 = np.clip((20 + 140 * (1 - winter)) * sun * rng.lognormal(0, 0.25, n) + rng.uniform(1, 12, n), 0.5, 500)
    temp = -5 + 30 * (1 - winter) + 5 * np.sin(np.pi * (hod - 8) / 12) + rng.normal(0, 1.5, n)
    pres = 1020 - 15 * (1 - winter) + rng.normal(0, 3, n)
    dewp = temp - rng.uniform(2, 20, n)
    rain = np.where(rng.random(n) < 0.03 * (1 - winter) + 0.005, rng.exponential(2, n), 0.0)
    wspm = np.clip(rng.gamma(2, 0.9, n) * (1.5 - np.clip(haze, 0, 1)), 0, 13)
    wd = rng.choice(WIND_DIRECTIONS, n)
    columns = {
        "PM2.5": pm25,
        "PM10": pm10,
        "SO2": so2,
        "NO2": no2,
        "CO": co,
        "O3": o3,
        "TEMP": temp,
        "PRES": pres,
        "DEWP": dewp,
        "RAIN": rain,
        "WSPM": wspm,
    }
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    writer.writerow(PRSA_HEADER)
    gaps = {name: rng.random(n) < gap_rate for name in columns}
    one_decimal = {"TEMP", "PRES", "DEWP", "RAIN", "WSPM"}
    for i, stamp in enumerate(hours):
        values: list[object] = [
            "NA" if gaps[name][i] else round(float(series[i]), 1) if name in one_decimal else round(series[i])
            for name, series in columns.items()
        ]
        writer.writerow([i + 1, stamp.year, stamp.month, stamp.day, stamp.hour, *values[:10], wd[i], values[10], station])
    return out.getvalue().encode()


def write_synthetic_files(directory: Path, stations: int = 4, days: int = 365, seed: int = 20130301) -> list[Path]:
    """Write one SYNTHETIC_PRSA file per station into `directory`; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    start = dt.date(2013, 3, 1)
    end = start + dt.timedelta(days=days - 1)
    paths = []
    for index in range(stations):
        station = f"Synth{chr(ord('A') + index)}"
        path = directory / f"SYNTHETIC_PRSA_Data_{station}_{start:%Y%m%d}-{end:%Y%m%d}.csv"
        path.write_bytes(synthetic_station(station, start, days, seed + index))
        paths.append(path)
    return paths
