"""SYNTHETIC city-management cases over real community areas (no public copy of a digital city-management system
exists): seeded, with what the marts must find planted and returned as the truth.

Over `weeks` weeks, background cases fall across the areas (some areas busier than others), of GB/T 30428.2 classes
in realistic shares, each with its lifecycle: registered, dispatched, disposed (within the class's deadline for most
departments; one department is slow), checked, closed; a few are sent back by the check (reopened) and the latest
ones are still open. Planted on top:

- **hotspots**: in chosen grid cells and weeks, a burst of cases (Poisson, mean `hotspot_cases`);
- **recurring problems**: in chosen cells, the same small class every few days;
- **a slow department**: its disposal times three times the others'.

Two channels deliver them, as city systems do: the inspectors' and cameras' system (CSV, local clock times, WGS84)
and the citizen hotline (JSON lines, ISO times with offsets, GCJ-02 positions, Chinese kind labels). GCJ-02's offset
is zero outside China, so over Chicago the hotline's positions equal WGS84: the feed still declares its system.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from pipelines.cleanse.crs import wgs84_to_gcj02
from pipelines.cleanse.geo import District, grid_cell
from pipelines.domains.urban import classes

TIMEZONE = "America/Chicago"
SLOW_DEPARTMENT = "street order"
# shares of the cases by small class (components and events), the rest spread evenly
COMMON = {("event", "0102"): 0.14, ("event", "0505"): 0.12, ("event", "0201"): 0.1, ("component", "0103"): 0.06}


@dataclass(frozen=True)
class UrbanTruth:
    """What was planted: hotspot (week_start, cell) pairs, recurring (cell, kind, class) triples, the slow department."""

    hotspots: list[tuple[pd.Timestamp, str]] = field(default_factory=list)
    recurring: list[tuple[str, str, str]] = field(default_factory=list)
    slow_department: str = SLOW_DEPARTMENT


def _points_in(districts: list[District], weights: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n points, each in an area drawn by weight, uniform inside it (rejection in its bounding box)."""
    chosen = rng.choice(len(districts), size=n, p=weights / weights.sum())
    lat, lon = np.empty(n), np.empty(n)
    for index in np.unique(chosen):
        geometry = districts[index].geometry
        at = np.flatnonzero(chosen == index)
        lo_lon, lo_lat, hi_lon, hi_lat = geometry.bounds
        filled = 0
        while filled < len(at):
            x = rng.uniform(lo_lon, hi_lon, 4 * (len(at) - filled))
            y = rng.uniform(lo_lat, hi_lat, 4 * (len(at) - filled))
            inside = shapely.contains_xy(geometry, x, y)
            take = min(int(inside.sum()), len(at) - filled)
            lon[at[filled : filled + take]] = x[inside][:take]
            lat[at[filled : filled + take]] = y[inside][:take]
            filled += take
    return lat, lon


def _in_cell(cell: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n points inside a grid cell (away from its edges)."""
    size, row, col = cell.split(":")
    step = float(size)
    lat = (int(row) + rng.uniform(0.15, 0.85, n)) * step - 90.0
    lon = (int(col) + rng.uniform(0.15, 0.85, n)) * step - 180.0
    return lat, lon


def _classes(n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    table = classes.classes()
    every = list(zip(table["kind"], table["small_code"]))
    rest = [c for c in every if c not in COMMON]
    shares = np.array([COMMON.get(c, (1 - sum(COMMON.values())) / len(rest)) for c in every])
    picked = rng.choice(len(every), size=n, p=shares / shares.sum())
    return [every[i] for i in picked]


def _lifecycle(frame: pd.DataFrame, levels: dict, end: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    """Each case's stage times from its report: exponential waits, disposal a share of the deadline (three times
    longer for the slow department), 5 % reopened, what lies beyond `end` not yet happened."""
    n = len(frame)
    service = [classes.level_of(k, c, levels) for k, c in zip(frame["kind"], frame["class_code"])]
    deadline = np.array([s.deadline_hours for s in service])
    department = np.array([s.department for s in service], dtype=object)
    hours = pd.to_timedelta
    registered = frame["ts_utc"] + hours(rng.exponential(0.4, n), unit="h")
    dispatched = registered + hours(rng.exponential(0.8, n), unit="h")
    share = rng.gamma(4.0, 0.12, n) * np.where(department == SLOW_DEPARTMENT, 3.0, 1.0)
    reopened = rng.random(n) < 0.05
    disposed = dispatched + hours(deadline * share * np.where(reopened, 1.6, 1.0), unit="h")
    checked = disposed + hours(rng.exponential(2.0, n), unit="h")
    closed = checked + hours(rng.exponential(1.0, n), unit="h")
    stages = {"registered": registered, "dispatched": dispatched, "disposed": disposed, "checked": checked, "closed": closed}
    out = frame.assign(department=department, reopened=reopened.astype(int))
    for name, when in stages.items():
        out[f"{name}_utc"] = when.dt.floor("s").where(when <= end)
    return out.assign(ts_utc=out["ts_utc"].dt.floor("s"))


def urban_cases(
    districts: list[District],
    start: str = "2024-03-04",
    weeks: int = 12,
    per_week: int = 1500,
    hotspots: int = 12,
    hotspot_cases: float = 15.0,
    recurring: int = 8,
    grid_degrees: float = 0.001,
    seed: int = 0,
) -> tuple[pd.DataFrame, UrbanTruth]:
    """The SYNTHETIC cases (one row each, WGS84, UTC times) and what was planted."""
    rng = np.random.default_rng(seed)
    begin = pd.Timestamp(start, tz=TIMEZONE)
    end = begin + pd.Timedelta(weeks=weeks)
    busy = rng.lognormal(0.0, 0.6, len(districts))  # some areas busier than others
    n = per_week * weeks
    lat, lon = _points_in(districts, busy, n, rng)
    reported = begin + pd.to_timedelta(rng.uniform(0, weeks * 7 * 86400, n), unit="s")
    frames = [pd.DataFrame({"ts_utc": reported.tz_convert("UTC"), "latitude": lat, "longitude": lon, "planted": "background"})]
    frames[0][["kind", "class_code"]] = _classes(n, rng)

    truth = UrbanTruth()
    anchor_lat, anchor_lon = _points_in(districts, busy, hotspots + recurring, rng)
    cells = grid_cell(anchor_lat, anchor_lon, grid_degrees)
    for i in range(hotspots):
        week = begin + pd.Timedelta(weeks=int(rng.integers(0, weeks)))
        count = max(int(rng.poisson(hotspot_cases)), 8)
        h_lat, h_lon = _in_cell(cells[i], count, rng)
        when = week + pd.to_timedelta(rng.uniform(0, 7 * 86400, count), unit="s")
        burst = pd.DataFrame({"ts_utc": when.tz_convert("UTC"), "latitude": h_lat, "longitude": h_lon, "planted": "hotspot"})
        kind, code = _classes(1, rng)[0]
        burst[["kind", "class_code"]] = [(kind, code)] * count
        frames.append(burst)
        truth.hotspots.append((week.tz_localize(None).normalize(), cells[i]))
    for cell in cells[hotspots:]:
        kind, code = ("event", "0501") if rng.random() < 0.5 else ("component", "0104")
        when = begin + pd.to_timedelta(np.arange(0, weeks * 7, 5) * 86400 + rng.uniform(0, 86400), unit="s")
        r_lat, r_lon = _in_cell(cell, len(when), rng)
        again = pd.DataFrame({"ts_utc": when.tz_convert("UTC"), "latitude": r_lat, "longitude": r_lon, "planted": "recurring"})
        again[["kind", "class_code"]] = [(kind, code)] * len(when)
        frames.append(again)
        truth.recurring.append((cell, kind, code))
    cases = pd.concat(frames, ignore_index=True).sort_values("ts_utc", kind="stable").reset_index(drop=True)
    cases = _lifecycle(cases, classes.service_levels(), end.tz_convert("UTC"), rng)
    sources = np.array(["inspector", "camera", "hotline"])
    cases = cases.assign(
        case_id=[f"SYN-UM-{i:06d}" for i in range(len(cases))],
        source=sources[rng.choice(3, size=len(cases), p=[0.5, 0.15, 0.35])],
        description="SYNTHETIC case",
    )
    return cases, truth


def _local(times: pd.Series) -> pd.Series:
    return times.dt.tz_convert(TIMEZONE).dt.strftime("%Y-%m-%d %H:%M:%S").where(times.notna(), "")


def write_urban_files(cases: pd.DataFrame, directory: Path, tag: str = "2024") -> tuple[Path, Path]:
    """The cases as the two channels deliver them: the inspectors' CSV and the hotline's JSON lines."""
    directory.mkdir(parents=True, exist_ok=True)
    system = cases[cases["source"] != "hotline"]
    csv_path = directory / f"SYNTHETIC_urban_cases_{tag}.csv"
    pd.DataFrame(
        {
            "case_no": system["case_id"],
            "reported_at": _local(system["ts_utc"]),
            "kind": system["kind"],
            "class_code": system["class_code"],
            "source": system["source"],
            "department": system["department"],
            **{
                f"{stage}_at": _local(system[f"{stage}_utc"])
                for stage in ("registered", "dispatched", "disposed", "checked", "closed")
            },
            "reopened": system["reopened"],
            "lat": system["latitude"].round(6),
            "lon": system["longitude"].round(6),
            "description": system["description"],
        }
    ).to_csv(csv_path, index=False)
    hotline = cases[cases["source"] == "hotline"]
    gcj_lat, gcj_lon = wgs84_to_gcj02(hotline["latitude"].to_numpy(), hotline["longitude"].to_numpy())
    jsonl_path = directory / f"SYNTHETIC_hotline_{tag}.jsonl"

    def iso(value: pd.Timestamp) -> str | None:
        return None if pd.isna(value) else value.tz_convert(TIMEZONE).isoformat()

    with jsonl_path.open("w", encoding="utf-8") as handle:
        for row, la, lo in zip(hotline.itertuples(index=False), gcj_lat, gcj_lon):
            record = {
                "ticket": row.case_id,
                "received": iso(row.ts_utc),
                "type": "部件" if row.kind == "component" else "事件",
                "category_code": row.class_code,
                "assigned_to": row.department,
                "stages": {
                    stage: iso(getattr(row, f"{stage}_utc"))
                    for stage in ("registered", "dispatched", "disposed", "checked", "closed")
                },
                "returned": int(row.reopened),
                "position": {"lat": round(float(la), 6), "lng": round(float(lo), 6)},
                "text": row.description,
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return csv_path, jsonl_path
