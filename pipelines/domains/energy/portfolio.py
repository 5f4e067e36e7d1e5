"""A building portfolio, clean -> curated: each day's peak-shaving plan (`energy_load_shifting`).

Per local day, every building's electricity splits into the fixed part and its flexible share; the LP of
`shifting` moves the flexible part within the window so that the group's peak is lowest. Days are published in
their own partitions, one commit for all, replacing only those days.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipelines.config import Settings
from pipelines.domains.energy import shifting
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.energy import ENERGY_LOAD_SHIFTING, ENERGY_LOAD_SHIFTING_DAY_AHEAD
from pipelines.lake.runs import idempotency_key, write_run_record
from pipelines.lake.storage import Lake
from pipelines.sources.registry import local_timezone

log = logging.getLogger(__name__)
PIPELINE = "energy_shifting_marts"
BUILDINGS = clean_dataset("building_meter_readings")


@dataclass(frozen=True)
class ShiftParams:
    """Which days, the window flexible load may move within, an optional cap, the portfolio's local time zone (None:
    the one its feeds declare)."""

    timezone: str | None = None
    window_start_h: int = 6
    window_end_h: int = 22
    cap: float | None = None  # at most cap x a building's largest flexible load per interval; None: no cap
    last_days: int = 7  # plan the latest N local days of the readings

    def __post_init__(self) -> None:
        if not 0 <= self.window_start_h < self.window_end_h <= 24 or self.last_days < 1:
            raise ValueError(f"need 0 <= window_start_h < window_end_h <= 24 and last_days >= 1: {self}")

    @property
    def window(self) -> str:
        return f"{self.window_start_h:02d}:00-{self.window_end_h:02d}:00"


def plan_day(day: pd.DataFrame, params: ShiftParams, timezone: str, group_id: str = "all") -> pd.DataFrame:
    """One local day of readings (building_id, building_type, flexible_share, ts_utc, electricity_kw) planned, the
    window read in `timezone`."""
    grid = day.pivot_table(index="building_id", columns="ts_utc", values="electricity_kw", aggfunc="last").sort_index()
    if grid.isna().any().any():  # a building missing intervals: those stay as they are (no flexible load there)
        log.warning("%d missing intervals on %s: planned as fixed zero", int(grid.isna().sum().sum()), day["local_date"].iloc[0])
    load = grid.fillna(0.0).to_numpy()
    share = day.groupby("building_id")["flexible_share"].first().reindex(grid.index).fillna(0).to_numpy()[:, None]
    fixed, flexible = load * (1 - share), load * share
    local_hours = pd.DatetimeIndex(grid.columns).tz_convert(timezone)
    hours = local_hours.hour + local_hours.minute / 60
    window = (hours >= params.window_start_h) & (hours < params.window_end_h)
    plan = shifting.shift_load(fixed, flexible, np.asarray(window), params.cap)
    types = day.groupby("building_id")["building_type"].first().reindex(grid.index)
    n, t = load.shape
    return pd.DataFrame(
        {
            "local_date": day["local_date"].iloc[0],
            "group_id": group_id,
            "building_id": np.repeat(grid.index.to_numpy(), t),
            "building_type": np.repeat(types.to_numpy(), t),
            "ts_utc": np.tile(grid.columns.to_numpy(), n),
            "fixed_kw": fixed.reshape(-1),
            "flexible_before_kw": flexible.reshape(-1),
            "flexible_after_kw": plan.flexible_after.reshape(-1),
            "moved_kw": (plan.flexible_after - flexible).reshape(-1),
            "group_peak_before_kw": plan.peak_before,
            "group_peak_after_kw": plan.peak_after,
            "window": params.window,
            "solve_seconds": plan.seconds,
        }
    )


def build(settings: Settings, run_id: str, params: ShiftParams | None = None) -> dict[str, Any]:
    """Plan the latest `last_days` local days and publish them; per day the peak before and after."""
    params = params or ShiftParams()
    zone = params.timezone or local_timezone(BUILDINGS.name)
    lake = Lake(settings)
    version = lake.require(BUILDINGS, "run the building_meters feed's clean DAG first (energy_building_meters_clean)")
    columns = ["building_id", "building_type", "flexible_share", "ts_utc", "electricity_kw"]
    readings = lake.read(BUILDINGS, version=version, columns=columns)
    readings = readings.assign(local_date=readings["ts_utc"].dt.tz_convert(zone).dt.date)
    days = sorted(readings["local_date"].unique())[-params.last_days :]
    plans = [plan_day(readings[readings["local_date"] == day], params, zone) for day in days]
    rows = pd.concat(plans, ignore_index=True)
    key = idempotency_key(PIPELINE, ENERGY_LOAD_SHIFTING.logic_version, version, repr(params))
    published = lake.publish(ENERGY_LOAD_SHIFTING, rows, {"local_date": [d.isoformat() for d in days]}, run_id, key)
    peaks = rows.drop_duplicates("local_date")
    result = {
        "rows": len(rows),
        "version": published.version,
        "input_version": version,
        "buildings": int(rows["building_id"].nunique()),
        "days": {
            d.isoformat(): {"peak_before_kw": round(float(b), 1), "peak_after_kw": round(float(a), 1)}
            for d, b, a in zip(peaks["local_date"], peaks["group_peak_before_kw"], peaks["group_peak_after_kw"])
        },
    }
    write_run_record(lake, PIPELINE, run_id, result)
    return result


def plan_day_ahead(
    settings: Settings, run_id: str, forecasts: pd.DataFrame, params: ShiftParams, timezone: str
) -> dict[str, Any]:
    """Tomorrow's plan: the champions' hourly electricity forecasts of the portfolio's buildings (meter_id,
    target_ts_utc, predicted) shifted with each building's latest type and flexible share, published in place of
    that day's earlier plan; the day and its peak before and after."""
    if forecasts.empty:
        return {"note": "no electricity forecast of the portfolio"}
    lake = Lake(settings)
    attributes = lake.read(BUILDINGS, columns=["building_id", "building_type", "flexible_share", "ts_utc"])
    latest = attributes.sort_values("ts_utc").drop_duplicates("building_id", keep="last").drop(columns="ts_utc")
    zone = params.timezone or timezone
    first_target = forecasts["target_ts_utc"].min().tz_convert(zone).date()
    day = (
        forecasts.rename(columns={"meter_id": "building_id"})
        .assign(ts_utc=forecasts["target_ts_utc"], electricity_kw=forecasts["predicted"].clip(lower=0), local_date=first_target)
        .merge(latest, on="building_id", how="inner")
    )
    day = day[day["ts_utc"].dt.tz_convert(zone).dt.date == first_target]
    plan = plan_day(day, params, zone)
    key = idempotency_key(
        "energy_day_ahead_plan", ENERGY_LOAD_SHIFTING_DAY_AHEAD.logic_version, plan.round(6).astype(str).values.tolist()
    )
    lake.publish(ENERGY_LOAD_SHIFTING_DAY_AHEAD, plan, {"local_date": [first_target.isoformat()]}, run_id, key)
    return {
        "day": first_target.isoformat(),
        "buildings": int(plan["building_id"].nunique()),
        "peak_before_kw": round(float(plan["group_peak_before_kw"].iloc[0]), 1),
        "peak_after_kw": round(float(plan["group_peak_after_kw"].iloc[0]), 1),
    }
