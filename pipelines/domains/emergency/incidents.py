"""Emergency reports, clean -> curated: the incidents fused from every channel (`emergency_incidents`)."""

from __future__ import annotations

from typing import Any

from pipelines.config import Settings
from pipelines.domains.emergency import fusion
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.emergency import EMERGENCY_INCIDENTS
from pipelines.lake.runs import idempotency_key, write_run_record
from pipelines.lake.storage import Lake

PIPELINE = "emergency_marts"
REPORTS = clean_dataset("emergency_reports")


def build(settings: Settings, run_id: str, params: fusion.FusionParams | None = None) -> dict[str, Any]:
    """Fuse every clean report into incidents and publish them (the whole mart, one commit); a summary."""
    params = params or fusion.FusionParams()
    lake = Lake(settings)
    version = lake.require(
        REPORTS, "run an emergency feed's clean DAG first (e.g. emergency_command_emergency_dispatch_calls_clean)"
    )
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
    write_run_record(lake, PIPELINE, run_id, result)
    return result
