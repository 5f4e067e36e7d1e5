"""Seeded generators of noise-sensor and water-quality-station files, clearly labelled SYNTHETIC.

No public file gives a city's noise or surface-water monitoring, so these write the shapes monitoring networks
deliver, with realistic cycles and planted trouble whose answer is known:

- noise: one sensor per GB 3096-2008 zone class, hourly LAeq and LAFmax (local time), the day-night cycle of each
  zone below its limits, plus a road sensor (4a) whose nights run loud, night construction near a residential
  sensor (class 1: loud nights and LAFmax spikes on planted dates), and ~2 % lost hours;
- water quality: automatic stations sampling every four hours (local time): three river stations and one lake,
  dissolved oxygen with its daily cycle, permanganate index, ammonia nitrogen and total phosphorus; a planted
  sewage spill (ammonia and phosphorus up, oxygen down) at one river station, and the lake's phosphorus high in
  summer.

File names start with SYNTHETIC_ and ids with Synth, so that nobody takes them for measurements.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

NOISE_SENSORS = {  # sensor: (zone class, day level, night level) in dB(A), typical of the zone
    "SynthN0": ("0", 45.0, 36.0),
    "SynthN1": ("1", 50.0, 41.0),
    "SynthN2": ("2", 55.0, 46.0),
    "SynthN3": ("3", 61.0, 51.0),
    "SynthN4a": ("4a", 66.0, 57.0),  # an arterial road: its nights exceed 55
    "SynthN4b": ("4b", 65.0, 56.0),
}
WATER_STATIONS = {  # station: (water body, DO mean, CODMn, NH3-N, TP) in mg/L
    "SynthRiverUp": ("river", 8.2, 2.5, 0.2, 0.06),
    "SynthRiverMid": ("river", 6.8, 4.5, 0.6, 0.15),
    "SynthRiverDown": ("river", 5.6, 5.5, 0.9, 0.18),
    "SynthLake": ("lake", 7.0, 4.0, 0.3, 0.04),
}


@dataclass(frozen=True)
class PlantedNoise:
    """What the noise generator planted: the night construction dates near SynthN1 (local)."""

    construction_nights: tuple[dt.date, ...]


@dataclass(frozen=True)
class PlantedSpill:
    """What the water generator planted: a spill at a station over local dates."""

    station: str
    dates: tuple[dt.date, ...]


def write_noise_file(directory: Path, start: dt.date, days: int, seed: int = 3096) -> tuple[Path, PlantedNoise]:
    """One SYNTHETIC file of hourly noise levels for every sensor; returns it and what was planted."""
    rng = np.random.default_rng(seed)
    hours = pd.date_range(pd.Timestamp(start), periods=24 * days, freq="1h")
    hour = hours.hour.to_numpy()
    dates = sorted({d for d in hours.date})
    nights = tuple(dates[i] for i in sorted(rng.choice(len(dates), size=max(1, days // 7), replace=False)))
    night = (hour >= 22) | (hour < 6)
    night_of = np.array([d - dt.timedelta(days=1) if h < 6 else d for d, h in zip(hours.date, hour)])
    frames = []
    for sensor, (zone, day_level, night_level) in NOISE_SENSORS.items():
        shape = np.where(night, night_level, day_level + 2 * np.sin(np.pi * (hour - 6) / 16))
        laeq = shape + rng.normal(0, 1.5, len(hours))
        if sensor == "SynthN1":
            building = night & np.isin(night_of, nights)
            laeq = np.where(building, laeq + 12, laeq)
        lmax = laeq + rng.gamma(3, 2.0, len(hours))  # fast maxima a few dB above the hour's Leq, rarely 15 more
        if sensor == "SynthN1":
            lmax = np.where(building & (hour == 2), night_level + 30, lmax)  # a pile driver at 2 a.m.: beyond limit + 15
        lost = rng.random(len(hours)) < 0.02
        frames.append(
            pd.DataFrame(
                {
                    "sensor": sensor,
                    "zone": zone,
                    "hour_start": hours.strftime("%Y-%m-%d %H:%M"),
                    "laeq_dba": np.round(laeq, 1),
                    "lmax_dba": np.round(lmax, 1),
                }
            )[~lost]
        )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"SYNTHETIC_noise_levels_{start:%Y%m%d}.csv"
    pd.concat(frames, ignore_index=True).to_csv(path, index=False)
    return path, PlantedNoise(nights)


def write_water_quality_file(directory: Path, start: dt.date, days: int, seed: int = 3838) -> tuple[Path, PlantedSpill]:
    """One SYNTHETIC file of four-hourly samples at every station; returns it and the planted spill."""
    rng = np.random.default_rng(seed)
    times = pd.date_range(pd.Timestamp(start), periods=6 * days, freq="4h")
    hour, doy = times.hour.to_numpy(), times.dayofyear.to_numpy()
    summer = np.clip(np.sin(2 * np.pi * (doy - 100) / 365), 0, None)
    first = int(rng.integers(days // 3, max(days // 3 + 1, days - 3)))
    spill = PlantedSpill("SynthRiverMid", tuple(start + dt.timedelta(days=first + i) for i in range(2)))
    frames = []
    for station, (body, do, codmn, nh3n, tp) in WATER_STATIONS.items():
        n = len(times)
        oxygen = do - 1.2 * summer + 0.6 * np.sin(2 * np.pi * (hour - 10) / 24) + rng.normal(0, 0.25, n)
        permanganate = codmn * rng.lognormal(0, 0.12, n)
        ammonia = nh3n * rng.lognormal(0, 0.2, n)
        phosphorus = tp * (1 + (1.5 * summer if body == "lake" else 0)) * rng.lognormal(0, 0.15, n)
        if station == spill.station:
            hit = pd.Series(times.date).isin(spill.dates).to_numpy()
            oxygen, ammonia = np.where(hit, oxygen - 3.5, oxygen), np.where(hit, ammonia + 2.0, ammonia)
            phosphorus = np.where(hit, phosphorus + 0.35, phosphorus)
        frames.append(
            pd.DataFrame(
                {
                    "station": station,
                    "water_body": body,
                    "sampled_at": times.strftime("%Y-%m-%d %H:%M"),
                    "do_mg_l": np.round(np.clip(oxygen, 0.2, None), 2),
                    "codmn_mg_l": np.round(permanganate, 2),
                    "nh3n_mg_l": np.round(ammonia, 3),
                    "tp_mg_l": np.round(phosphorus, 3),
                }
            )
        )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"SYNTHETIC_water_quality_{start:%Y%m%d}.csv"
    pd.concat(frames, ignore_index=True).to_csv(path, index=False)
    return path, spill
