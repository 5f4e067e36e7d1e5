"""Electricity meters, clean -> curated: every meter's daily load profile (`energy_load_profiles`)."""

from __future__ import annotations

from typing import Any

from pipelines.config import Settings
from pipelines.domains.energy import load
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.energy import ENERGY_LOAD_PROFILES
from pipelines.lake.runs import idempotency_key, write_run_record
from pipelines.lake.storage import Lake
from pipelines.sources.registry import local_timezone

PIPELINE = "energy_load_marts"
ELECTRICITY = clean_dataset("energy_readings")


def build(settings: Settings, run_id: str, params: load.LoadParams | None = None) -> dict[str, Any]:
    """Profile every meter's days (in the local zone its feeds declare, unless `params` gives one) and publish them
    (the whole mart, one commit); a summary."""
    params = params or load.LoadParams(timezone=local_timezone(ELECTRICITY.name))
    lake = Lake(settings)
    version = lake.require(ELECTRICITY, "run an electricity feed's clean DAG first (e.g. energy_household_power_clean)")
    readings = lake.read(ELECTRICITY, version=version, columns=["meter_id", "ts_utc", *load.MEASURES])
    profiles = load.daily_profiles(readings, params)
    key = idempotency_key(PIPELINE, ENERGY_LOAD_PROFILES.logic_version, version, repr(params))
    published = lake.publish(ENERGY_LOAD_PROFILES, profiles, None, run_id, key)
    flagged = profiles[~profiles["usable"]]
    result = {
        "rows": len(profiles),
        "version": published.version,
        "input_version": version,
        "meters": int(profiles["meter_id"].nunique()),
        "days_by_quality": {str(k): int(v) for k, v in profiles["quality"].value_counts().sort_index().items()},
        "not_usable": sorted(d.isoformat() for d in flagged["local_date"])[:50],
    }
    write_run_record(lake, PIPELINE, run_id, result)
    return result
