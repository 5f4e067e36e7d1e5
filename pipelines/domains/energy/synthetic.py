"""Seeded hourly flow series with planted anomalies whose times are known, clearly labelled SYNTHETIC.

A supply pipe's flow: a level, a daily cycle (morning and evening demand), noise; then drops (losses or
maintenance: the flow falls to a fraction for hours), spikes (pumping: a few percent up for an hour or three) and
drifts (a slow leak: the level sinks over a day or two, then is repaired). Used by the tests and by
`benchmarks/water_anomalies.py` to measure the detectors' event-level precision and recall.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

KINDS = ("drop", "spike", "drift")


def flow_with_anomalies(seed: int, days: int = 60, events: int = 4) -> tuple[pd.Series, pd.DataFrame]:
    """A SYNTHETIC hourly flow (l/s) and its planted events (start_utc, end_utc exclusive, kind)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2022-03-01", periods=24 * days, freq="1h", tz="UTC")
    hour = index.hour.to_numpy()
    level = rng.uniform(60, 140)
    cycle = 1 + 0.04 * np.sin(2 * np.pi * (hour - 7) / 24) + 0.03 * np.sin(4 * np.pi * (hour - 19) / 24)
    values = level * cycle * (1 + rng.normal(0, 0.012, len(index)))
    planted: list[dict[str, object]] = []
    taken = np.zeros(len(index), dtype=bool)
    while len(planted) < events:
        kind = KINDS[len(planted) % len(KINDS)]
        length = {"drop": int(rng.integers(4, 20)), "spike": int(rng.integers(1, 4)), "drift": int(rng.integers(24, 49))}[kind]
        start = int(rng.integers(24 * 8, len(index) - length - 24 * 2))  # a week of normal flow before the first
        if taken[max(0, start - 48) : start + length + 48].any():
            continue
        span = slice(start, start + length)
        if kind == "drop":
            values[span] *= rng.uniform(0.2, 0.5)
        elif kind == "spike":
            values[span] *= rng.uniform(1.05, 1.12)
        else:
            values[span] *= 1 - np.linspace(0, rng.uniform(0.06, 0.15), length)
        taken[span] = True
        planted.append({"start_utc": index[start], "end_utc": index[start] + pd.Timedelta(hours=length), "kind": kind})
    events_frame = pd.DataFrame(planted).sort_values("start_utc").reset_index(drop=True)
    return pd.Series(np.round(values, 2), index=index, name="flow_l_s"), events_frame


# per building type: its peak's range (kW), its flexible share, its hourly shape 0-23 as a share of the peak
BUILDING_TYPES: dict[str, tuple[tuple[int, int], float, list[float]]] = {
    "office": ((200, 800), 0.20, [0.3] * 7 + [0.6, 0.9, 1.0, 1.0, 1.0, 0.95, 1.0, 1.0, 0.95, 0.9, 0.8, 0.5] + [0.35] * 5),
    "school": ((100, 300), 0.15, [0.2] * 7 + [0.7, 1.0, 1.0, 1.0, 0.95, 0.9, 1.0, 0.95, 0.8, 0.4] + [0.25] * 7),
    "hospital": (
        (500, 1500),
        0.05,
        [0.75] * 7 + [0.85, 0.95, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.95, 0.9, 0.9, 0.85, 0.8, 0.8, 0.75, 0.75, 0.75],
    ),
    "residential": (
        (20, 150),
        0.25,
        [
            0.35,
            0.3,
            0.3,
            0.3,
            0.3,
            0.35,
            0.55,
            0.8,
            0.7,
            0.5,
            0.45,
            0.45,
            0.5,
            0.45,
            0.45,
            0.5,
            0.6,
            0.75,
            0.95,
            1.0,
            0.95,
            0.8,
            0.6,
            0.45,
        ],
    ),
    "mall": ((300, 1000), 0.15, [0.2] * 9 + [0.5, 0.85, 0.95, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.95, 0.9, 0.6, 0.3, 0.2]),
}

assert all(len(shape) == 24 for _, _, shape in BUILDING_TYPES.values()), "a daily shape has 24 hours"


def building_portfolio(
    buildings: int, seed: int = 0, slots_per_hour: int = 4
) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """A SYNTHETIC group of buildings for one day: ids, types, and their fixed and flexible electricity (kW) per slot.

    Each type has a typical daily shape (offices by day, homes morning and evening, malls into the evening), scaled to
    a size drawn for the building, with a little noise; a known share of every slot's load is flexible (HVAC pre-
    cooling, water heating, EV charging, pumps)."""
    rng = np.random.default_rng(seed)
    names = list(BUILDING_TYPES)
    types = [names[i] for i in rng.integers(0, len(names), buildings)]
    slots = 24 * slots_per_hour
    fixed, flexible = np.empty((buildings, slots)), np.empty((buildings, slots))
    for b, kind in enumerate(types):
        (low, high), share, shape = BUILDING_TYPES[kind]
        load = rng.uniform(low, high) * np.repeat(shape, slots_per_hour) * (1 + rng.normal(0, 0.03, slots))
        load = np.clip(load, 0, None)
        fixed[b], flexible[b] = load * (1 - share), load * share
    ids = [f"SynthB{b:04d}" for b in range(buildings)]
    return ids, types, np.round(fixed, 3), np.round(flexible, 3)


def building_meter_frame(buildings: int, start: str, days: int, seed: int = 0) -> pd.DataFrame:
    """SYNTHETIC 15-minute meters of a building portfolio over `days` local days: electricity (kW, with each
    building's flexible share), heat (kW), gas and water (m3/h), and the outdoor temperature (C).

    Electricity follows the type's daily shape, lower at weekends for offices and schools, with cooling on hot
    afternoons; heat follows the heating degrees below 18 C and the occupancy; gas is the boilers' and kitchens'
    share of heat; water follows occupancy."""
    rng = np.random.default_rng(seed)
    ids, types, _, _ = building_portfolio(buildings, seed)
    index = pd.date_range(start, periods=96 * days, freq="15min")
    hour = index.hour.to_numpy() + index.minute.to_numpy() / 60
    doy = index.dayofyear.to_numpy()
    weekend = index.dayofweek.to_numpy() >= 5
    temp = (
        12 - 10 * np.cos(2 * np.pi * (doy - 15) / 365) + 5 * np.sin(2 * np.pi * (hour - 9) / 24) + rng.normal(0, 0.8, len(index))
    )
    frames = []
    for building, kind in zip(ids, types):
        (low, high), share, shape = BUILDING_TYPES[kind]
        size = rng.uniform(low, high)
        occupancy = np.asarray(shape)[index.hour.to_numpy()]
        if kind in ("office", "school"):
            occupancy = np.where(weekend, 0.3 * occupancy + 0.1, occupancy)
        cooling = 0.02 * np.clip(temp - 24, 0, None) * (kind in ("office", "mall", "hospital"))
        electricity = size * occupancy * (1 + cooling) * (1 + rng.normal(0, 0.03, len(index)))
        heat = 0.05 * size * np.clip(18 - temp, 0, None) * (0.5 + 0.5 * occupancy) * (1 + rng.normal(0, 0.05, len(index)))
        gas = heat / 10 * (1.3 if kind in ("residential", "hospital") else 1.0) + rng.uniform(0, 0.2, len(index))
        water = 0.01 * size * occupancy * (1 + rng.normal(0, 0.1, len(index)))
        frames.append(
            pd.DataFrame(
                {
                    "building": building,
                    "type": kind,
                    "flexible_share": share,
                    "interval_start": index.strftime("%Y-%m-%d %H:%M"),
                    "electricity_kw": np.round(np.clip(electricity, 0, None), 2),
                    "heat_kw": np.round(np.clip(heat, 0, None), 2),
                    "gas_m3_h": np.round(np.clip(gas, 0, None), 3),
                    "water_m3_h": np.round(np.clip(water, 0, None), 3),
                    "outdoor_temp_c": np.round(temp, 1),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def write_building_meters(directory: Path, buildings: int = 50, start: str = "2024-01-08", days: int = 14, seed: int = 0) -> Path:
    """The SYNTHETIC portfolio's meters as one CSV file in `directory`; its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"SYNTHETIC_building_meters_{start.replace('-', '')}_{buildings}.csv"
    building_meter_frame(buildings, start, days, seed).to_csv(path, index=False)
    return path
