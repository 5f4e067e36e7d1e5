"""Emergency reports and units, clean -> curated: the incidents fused from every channel (`emergency_incidents`), the
nearest available units of each open incident (`emergency_resources`) and the city's coverage (`emergency_coverage`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipelines.config import Settings
from pipelines.domains.emergency import fusion, resources
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.emergency import EMERGENCY_COVERAGE, EMERGENCY_INCIDENTS, EMERGENCY_RESOURCES
from pipelines.lake.runs import idempotency_key, write_run_record
from pipelines.lake.storage import Lake

PIPELINE = "emergency_marts"
REPORTS = clean_dataset("emergency_reports")
UNITS = clean_dataset("emergency_units")


def build(
    settings: Settings,
    run_id: str,
    params: fusion.FusionParams | None = None,
    fleet: resources.ResourceParams | None = None,
    as_of: str | None = None,
) -> dict[str, Any]:
    """Fuse every clean report into incidents and publish them; then, when the fleet's positions are in, the nearest
    units of the incidents open at `as_of` (default: the fleet's latest ping, its "now") and the coverage; a summary."""
    params = params or fusion.FusionParams()
    lake = Lake(settings)
    version = lake.require(REPORTS, "run an emergency feed's clean DAG first (e.g. emergency_dispatch_calls_clean)")
    columns = ["report_id", "ts_utc", "ts_precision", "channel", "category", "severity", "latitude", "longitude"]
    reports = lake.read(REPORTS, version=version, columns=columns)
    types = fusion.incident_types()
    incidents, _ = fusion.fuse(reports, types, params)
    key = idempotency_key(PIPELINE, version, repr(params), sorted(types.items()))
    published = lake.publish(EMERGENCY_INCIDENTS, incidents.assign(run_id=run_id), None, run_id, key)
    unknown = sorted({f"{c}/{k}" for c, k in zip(reports["channel"], reports["category"]) if (c, k) not in types})
    result = {
        "rows": len(incidents),
        "version": published.version,
        "input_version": version,
        "reports": len(reports),
        "fused": int((incidents["reports"] > 1).sum()),
        "by_channels": {str(k): int(v) for k, v in incidents["channels"].value_counts().head(8).items()},
        "categories_without_type": unknown[:20],
    }
    if lake.has(UNITS):
        moment = pd.Timestamp(as_of).tz_convert("UTC") if as_of else None
        result["resources"] = _resources(lake, incidents, fleet or resources.ResourceParams(), moment, run_id)
    write_run_record(lake, PIPELINE, run_id, result)
    return result


def _resources(
    lake: Lake, incidents: pd.DataFrame, params: resources.ResourceParams, as_of: pd.Timestamp | None, run_id: str
) -> dict[str, Any]:
    """Publish the nearest units of the open incidents and the coverage at `as_of` (None: the latest ping); their
    summary."""
    version = lake.require(UNITS, "run the unit_positions feed's clean DAG first")
    pings = lake.read(UNITS, version=version, columns=["unit_id", "ts_utc", "kind", "status", "latitude", "longitude"])
    as_of = as_of if as_of is not None else pings["ts_utc"].max()
    units = pings[pings["ts_utc"] <= as_of].sort_values("ts_utc").drop_duplicates("unit_id", keep="last")
    precise = incidents[(incidents["timed_to"] != "day") & incidents["latitude"].notna()]
    recent = precise["last_report_utc"].between(as_of - pd.Timedelta(hours=params.open_hours), as_of)
    nearest = resources.nearest_units(precise[recent], units, params).assign(as_of_utc=as_of, run_id=run_id)
    area = (precise["latitude"].min(), precise["longitude"].min(), precise["latitude"].max(), precise["longitude"].max())
    covered = resources.coverage(units, area, params).assign(as_of_utc=as_of, run_id=run_id)
    key = idempotency_key(PIPELINE, "resources", version, as_of.isoformat(), repr(params), sorted(precise["incident_id"]))
    lake.publish(EMERGENCY_RESOURCES, nearest, None, run_id, f"{key}-nearest")
    lake.publish(EMERGENCY_COVERAGE, covered, None, run_id, f"{key}-coverage")
    return {
        "as_of": as_of.isoformat(),
        "open_incidents": int(recent.sum()),
        "units_available": int((units["status"] == "available").sum()),
        "coverage": {r.unit_kind: round(r.covered_share, 3) for r in covered.itertuples()},
    }
