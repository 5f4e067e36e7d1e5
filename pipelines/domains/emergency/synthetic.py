"""SYNTHETIC multi-source emergency reports with known ground truth (no public file links calls, sensor alarms and
social posts about the same incidents): seeded.

Incidents (fire, medical, traffic, gas, flood) happen across Tempe, Arizona. Each is reported by calls (one to
four: within minutes, positions off by tens of metres, the call-taker's vocabulary), by a sensor for the kinds that
have them (smoke, heat, gas, collision, water level: seconds off, metres off) and by social posts (later, positions
off by a few hundred metres, saying nothing of the type). False alarms are reports of no incident. Each channel has
its own clock, as such systems do: the dispatch centre's local time (Arizona keeps MST all year), the sensor
platform's UTC, the social platform's ISO times with its own offset.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.domains.emergency.fusion import EARTH_RADIUS_M

AREA = (33.32, -111.98, 33.46, -111.88)  # Tempe: min lat, min lon, max lat, max lon
CALL_WORDS = {
    "fire": ["FIRE", "STRUCTURE FIRE"],
    "medical": ["MEDICAL", "OVERDOSE", "CARDIAC"],
    "traffic": ["TRAFFIC ACCIDENT"],
    "gas": ["GAS ODOR"],
    "flood": ["FLOODING"],
}
SENSORS = {"fire": "smoke_alarm", "gas": "gas_leak", "traffic": "collision_detected", "flood": "water_level"}
KIND_SHARES = {"medical": 0.45, "traffic": 0.25, "fire": 0.15, "gas": 0.08, "flood": 0.07}
LOCAL = "America/Phoenix"


def _moved(lat: float, lon: float, metres: float, rng: np.random.Generator) -> tuple[float, float]:
    """A position `metres` (standard deviation per axis) away at random."""
    north, east = rng.normal(0, metres, 2)
    return lat + np.degrees(north / EARTH_RADIUS_M), lon + np.degrees(east / (EARTH_RADIUS_M * np.cos(np.radians(lat))))


def reports_with_truth(
    incidents: int = 400, days: int = 14, false_alarms: int = 40, seed: int = 0, start: str = "2024-06-03"
) -> pd.DataFrame:
    """One row per report: report_id, channel, category, severity, ts_utc, latitude, longitude, and `incident`
    (the truth: the incident it is about, or its own id for a false alarm)."""
    rng = np.random.default_rng(seed)
    begin = pd.Timestamp(start, tz=LOCAL).tz_convert("UTC")
    kinds = list(KIND_SHARES)
    rows = []
    for n in range(incidents):
        kind = kinds[rng.choice(len(kinds), p=list(KIND_SHARES.values()))]
        at = begin + pd.Timedelta(seconds=float(rng.uniform(0, days * 86400)))
        lat, lon = rng.uniform(AREA[0], AREA[2]), rng.uniform(AREA[1], AREA[3])
        severity = int(rng.integers(1, 5))
        truth = f"T{n:05d}"
        for _ in range(int(rng.choice([1, 1, 2, 2, 3, 4]))):
            p_lat, p_lon = _moved(lat, lon, 60, rng)
            word = CALL_WORDS[kind][int(rng.integers(len(CALL_WORDS[kind])))]
            rows.append(("call", word, severity, at + pd.Timedelta(seconds=float(rng.uniform(0, 480))), p_lat, p_lon, truth))
        if kind in SENSORS and rng.random() < 0.6:
            p_lat, p_lon = _moved(lat, lon, 8, rng)
            rows.append(
                ("sensor", SENSORS[kind], 3, at + pd.Timedelta(seconds=float(rng.uniform(-60, 120))), p_lat, p_lon, truth)
            )
        for _ in range(int(rng.choice([0, 0, 1, 2]))):
            p_lat, p_lon = _moved(lat, lon, 150, rng)
            rows.append(("social", "post", 1, at + pd.Timedelta(seconds=float(rng.uniform(120, 900))), p_lat, p_lon, truth))
    for n in range(false_alarms):
        channel = ["call", "sensor"][int(rng.integers(2))]
        category = "MEDICAL" if channel == "call" else "smoke_alarm"
        at = begin + pd.Timedelta(seconds=float(rng.uniform(0, days * 86400)))
        lat, lon = rng.uniform(AREA[0], AREA[2]), rng.uniform(AREA[1], AREA[3])
        rows.append((channel, category, 1, at, lat, lon, f"F{n:05d}"))
    frame = pd.DataFrame(rows, columns=["channel", "category", "severity", "ts_utc", "latitude", "longitude", "incident"])
    frame = frame.assign(ts_utc=frame["ts_utc"].dt.floor("s")).sort_values("ts_utc", kind="stable").reset_index(drop=True)
    prefixes = {"call": "CAD", "sensor": "SNS", "social": "SOC"}
    frame["report_id"] = [f"{prefixes[c]}-{i:06d}" for i, c in enumerate(frame["channel"])]
    return frame


def write_report_files(reports: pd.DataFrame, directory: Path, tag: str = "2024") -> dict[str, Path]:
    """The reports as each channel delivers them: the dispatch centre's CSV (local clock), the sensor platform's JSON
    lines (UTC, `Z`), the social platform's JSON lines (its own offset, +08:00)."""
    directory.mkdir(parents=True, exist_ok=True)
    calls = reports[reports["channel"] == "call"]
    call_path = directory / f"SYNTHETIC_dispatch_calls_{tag}.csv"
    pd.DataFrame(
        {
            "call_no": calls["report_id"],
            "received": calls["ts_utc"].dt.tz_convert(LOCAL).dt.strftime("%m/%d/%Y %H:%M:%S"),
            "nature": calls["category"],
            "priority": calls["severity"],
            "lat": calls["latitude"].round(6),
            "lon": calls["longitude"].round(6),
        }
    ).to_csv(call_path, index=False)
    paths = {"dispatch_calls": call_path}
    for channel, name, zone in (("sensor", "sensor_alarms", "UTC"), ("social", "social_posts", "Asia/Shanghai")):
        rows = reports[reports["channel"] == channel]
        path = directory / f"SYNTHETIC_{name}_{tag}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for row in rows.itertuples(index=False):
                stamp = row.ts_utc.tz_convert(zone)
                record = {
                    "id": row.report_id,
                    "time": stamp.strftime("%Y-%m-%dT%H:%M:%SZ") if zone == "UTC" else stamp.isoformat(),
                    "type": row.category,
                    "level": int(row.severity),
                    "geo": {"lat": round(float(row.latitude), 6), "lon": round(float(row.longitude), 6)},
                }
                handle.write(json.dumps(record) + "\n")
        paths[name] = path
    return paths


FLEET = {"ambulance": 10, "fire": 6, "police": 14}


def fleet_positions(at: pd.Timestamp, seed: int = 0, available_share: float = 0.8) -> pd.DataFrame:
    """SYNTHETIC units across the area at one moment: unit_id, kind, status, ts_utc, latitude, longitude."""
    rng = np.random.default_rng(seed)
    rows = []
    for kind, count in FLEET.items():
        for n in range(count):
            status = "available" if rng.random() < available_share else str(rng.choice(["dispatched", "on_scene"]))
            lat, lon = rng.uniform(AREA[0], AREA[2]), rng.uniform(AREA[1], AREA[3])
            rows.append((f"{kind[:3].upper()}-{n + 1:02d}", kind, status, at, lat, lon))
    return pd.DataFrame(rows, columns=["unit_id", "kind", "status", "ts_utc", "latitude", "longitude"])


def write_fleet_file(units: pd.DataFrame, directory: Path, tag: str = "2024") -> Path:
    """The units as the fleet system delivers them (UTC pings)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"SYNTHETIC_fleet_{tag}.csv"
    pd.DataFrame(
        {
            "unit": units["unit_id"],
            "kind": units["kind"],
            "status": units["status"],
            "ping_utc": units["ts_utc"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lat": units["latitude"].round(6),
            "lon": units["longitude"].round(6),
        }
    ).to_csv(path, index=False)
    return path


# --- call volumes with planted surges --------------------------------------------------------------------------


def hotline_profile(slot_minutes: int = 5) -> np.ndarray:
    """Mean calls per slot of an emergency hotline over a local day (weekday): quiet at night, a morning rise, a
    midday plateau and an evening peak; about 3,400 calls a day (a city of a few million)."""
    hours = np.arange(0, 24, slot_minutes / 60)
    shape = 1.0 + 2.2 * np.exp(-(((hours - 11.5) / 3.2) ** 2)) + 2.6 * np.exp(-(((hours - 19.0) / 2.4) ** 2))
    return 6.0 * shape * slot_minutes / 5


def call_volumes_with_surges(
    seed: int = 7,
    weeks: int = 12,
    surges: int = 40,
    line_id: str = "hotline-112",
    slot_minutes: int = 5,
    start: str = "2025-03-03",
    factors: tuple[float, float] = (1.8, 3.5),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SYNTHETIC counts per slot (line_id, ts_local naive in America/Phoenix, calls) of `weeks` weeks, Poisson around
    the hotline's profile (weekends 15 % quieter, each day's level off by a few per cent), and the planted surges
    (start_utc, end_utc, factor): each ramps up over a quarter of its length to `factor` x the normal volume
    (`factors`: 1.8-3.5), holds and falls back; 30 to 120 minutes; none in the first four weeks (the baseline's history)."""
    rng = np.random.default_rng(seed)
    first = pd.Timestamp(start)
    if first.dayofweek != 0:
        raise ValueError(f"the weeks start on a Monday, not on {first:%A %Y-%m-%d}")
    slots_per_day = 24 * 60 // slot_minutes
    days = 7 * weeks
    local = pd.date_range(first, periods=days * slots_per_day, freq=f"{slot_minutes}min")
    weekday_factor = np.where(local.dayofweek >= 5, 0.85, 1.0)
    day_level = np.repeat(rng.normal(1.0, 0.04, days), slots_per_day)
    mean = np.tile(hotline_profile(slot_minutes), days) * weekday_factor * day_level
    planted = []
    first_allowed = 28 * slots_per_day
    starts = np.sort(rng.choice(np.arange(first_allowed, len(local) - 30, 60), size=surges, replace=False))
    for at in starts:
        length = int(rng.integers(30, 121) // slot_minutes)
        factor = float(rng.uniform(*factors))
        ramp = max(length // 4, 1)
        shape = np.r_[np.linspace(1 / ramp, 1, ramp), np.ones(length - 2 * ramp), np.linspace(1, 1 / ramp, ramp)]
        mean[at : at + length] *= 1 + (factor - 1) * shape[: len(mean) - at]
        planted.append((local[at], local[min(at + length, len(local) - 1)], round(factor, 2)))
    counts = pd.DataFrame({"line_id": line_id, "ts_local": local, "calls": rng.poisson(mean)})
    truth = pd.DataFrame(planted, columns=["start_local", "end_local", "factor"])
    for column in ("start", "end"):
        truth[f"{column}_utc"] = truth.pop(f"{column}_local").dt.tz_localize(LOCAL).dt.tz_convert("UTC")
    return counts, truth[["start_utc", "end_utc", "factor"]]


def write_call_volume_file(counts: pd.DataFrame, folder: Path) -> Path:
    """The hotline's export: a CSV of local slot starts and counts, as its telephony system writes it."""
    folder.mkdir(parents=True, exist_ok=True)
    first, last = counts["ts_local"].min(), counts["ts_local"].max()
    path = folder / f"SYNTHETIC_hotline_calls_{first:%Y%m%d}_{last:%Y%m%d}.csv"
    out = counts.assign(slot_start=counts["ts_local"].dt.strftime("%Y-%m-%d %H:%M"))[["line_id", "slot_start", "calls"]]
    out.to_csv(path, index=False)
    return path
