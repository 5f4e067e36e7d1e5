"""Metered loads, clean -> curated: every declared meter's daily load profile per utility (`energy_load_profiles`).

Which datasets hold loads, and which columns, is configuration (`loads/*.yaml`, `loads.declared`); each dataset's
days are counted in the local zone its feeds declare.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from pipelines.config import Settings
from pipelines.domains.energy import load, loads
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.energy import ENERGY_LOAD_PROFILES
from pipelines.lake.runs import idempotency_key, write_run_record
from pipelines.lake.storage import Lake
from pipelines.sources.registry import local_timezone


def read_loads(lake: Lake, declared: loads.Load) -> tuple[pd.DataFrame, int] | None:
    """A declared dataset's readings as long load rows (`Load.long`) with the version read; None before its first
    publish."""
    table = clean_dataset(declared.dataset)
    if not lake.has(table):
        return None
    version = lake.require(table, "")
    return declared.long(lake.read(table, version=version, columns=declared.columns)), version


def build(settings: Settings, run_id: str, params: load.LoadParams | None = None) -> dict[str, Any]:
    """Profile every declared dataset's meters (each in its feeds' local zone, unless `params` gives one) and publish
    them (the whole mart, one commit); a summary."""
    lake = Lake(settings)
    frames, versions = [], {}
    for declared in loads.declared():
        found = read_loads(lake, declared)
        if found is None:
            continue
        readings, versions[declared.dataset] = found
        zone = params.timezone if params else local_timezone(declared.dataset)
        here = dataclasses.replace(params, timezone=zone) if params else load.LoadParams(timezone=zone)
        frames.append(load.daily_profiles(readings, here).assign(dataset=declared.dataset))
    if not frames:
        names = ", ".join(loads.datasets()) or "none: add a file to loads/"
        raise ValueError(f"no declared load dataset is published yet ({names}): run a meter feed's clean DAG first")
    profiles = pd.concat(frames, ignore_index=True)[ENERGY_LOAD_PROFILES.names]
    key = idempotency_key("energy_load_marts", ENERGY_LOAD_PROFILES.logic_version, sorted(versions.items()), repr(params))
    published = lake.publish(ENERGY_LOAD_PROFILES, profiles, None, run_id, key)
    flagged = profiles[~profiles["usable"]]
    result = {
        "rows": len(profiles),
        "version": published.version,
        "input_versions": versions,
        "meters": int(profiles[["dataset", "meter_id"]].drop_duplicates().shape[0]),
        "days_by_quality": {str(k): int(v) for k, v in profiles["quality"].value_counts().sort_index().items()},
        "not_usable": sorted({d.isoformat() for d in flagged["local_date"]})[:50],
    }
    write_run_record(lake, "energy_load_marts", run_id, result)
    return result
