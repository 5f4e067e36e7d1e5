"""Utilities that move together, clean -> curated (`energy_utility_links`): per building of a metered portfolio, every
pair of its utilities and temperature at hourly and daily grain; per utility account with bills, gas against
heating degree-days. Each input may be absent: its rows wait for it."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipelines.config import Settings
from pipelines.domains.energy import links
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.energy import ENERGY_UTILITY_LINKS
from pipelines.lake.runs import idempotency_key, write_run_record
from pipelines.lake.storage import Lake
from pipelines.sources.registry import local_timezone

PIPELINE = "energy_links_marts"
BUILDINGS, BILLS = clean_dataset("building_meter_readings"), clean_dataset("utility_bills")
METERED = ["electricity_kw", "heat_kw", "gas_m3_h", "water_m3_h", "outdoor_temp_c"]
GRAINS = {"hourly": ("1h", 6), "daily": ("1D", 2)}  # grain: (resample rule, lags looked at)


def building_links(readings: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Every building's pairs at each grain (means over the hour, or over the local day in `timezone`)."""
    frames = []
    for building, rows in readings.groupby("building_id", sort=True):
        series = rows.set_index("ts_utc").sort_index()[METERED]
        for grain, (rule, max_lag) in GRAINS.items():
            local = series.tz_convert(timezone) if grain == "daily" else series
            regular = local.resample(rule).mean().reset_index(drop=True)
            found = links.pair_links(regular, METERED, max_lag)
            frames.append(
                found.assign(
                    scope="building", scope_id=building, grain=grain, from_utc=series.index.min(), to_utc=series.index.max()
                )
            )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def bill_links(bills: pd.DataFrame) -> pd.DataFrame:
    """Per account: daily gas use against daily heating degree-days, over its billing periods."""
    rows = []
    for account, periods in bills.groupby("account_id", sort=True):
        periods = periods.sort_values("ts_utc")
        fit = links.degree_day_link(periods["gas_kwh_per_day"], periods["mean_temp_c"])
        rows.append(
            {
                "series_a": "heating_degree_days_per_day",
                "series_b": "gas_kwh_per_day",
                "lag_steps": 0,
                **fit,
                "kind": "degree_days",
                "scope": "account",
                "scope_id": account,
                "grain": "billing period",
                "from_utc": periods["ts_utc"].min(),
                "to_utc": periods["ts_utc"].max(),
            }
        )
    return pd.DataFrame(rows)


def build(settings: Settings, run_id: str) -> dict[str, Any]:
    """Publish the links of whichever inputs exist (the whole mart, one commit); a summary."""
    lake = Lake(settings)
    parts, versions = [], {}
    if lake.has(BUILDINGS):
        versions["buildings"] = lake.version(BUILDINGS)
        metered = lake.read(BUILDINGS, version=versions["buildings"], columns=["building_id", "ts_utc", *METERED])
        parts.append(building_links(metered, local_timezone(BUILDINGS.name)))
    if lake.has(BILLS):
        versions["bills"] = lake.version(BILLS)
        parts.append(bill_links(lake.read(BILLS, version=versions["bills"])))
    if not parts:
        return {"rows": 0, "note": "neither building meters nor utility bills are published yet"}
    rows = pd.concat([p for p in parts if len(p)], ignore_index=True)
    key = idempotency_key(PIPELINE, ENERGY_UTILITY_LINKS.logic_version, versions)
    published = lake.publish(ENERGY_UTILITY_LINKS, rows, None, run_id, key)
    degree = rows[rows["kind"] == "degree_days"]
    result = {
        "rows": len(rows),
        "version": published.version,
        "input_versions": versions,
        "degree_days": {
            r.scope_id: {"r": round(r.r, 3), "kwh_per_degree_day": round(r.slope, 2), "base_kwh_per_day": round(r.intercept, 1)}
            for r in degree.itertuples()
        },
    }
    write_run_record(lake, PIPELINE, run_id, result)
    return result
