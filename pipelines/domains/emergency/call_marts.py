"""Emergency call volumes, clean -> curated: each line's surges by both detectors (`emergency_anomalies`)."""

from __future__ import annotations

from typing import Any

from pipelines.config import Settings
from pipelines.domains.emergency import surges
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.emergency import EMERGENCY_ANOMALIES
from pipelines.lake.runs import idempotency_key, write_run_record
from pipelines.lake.storage import Lake

PIPELINE = "emergency_call_marts"
VOLUMES = clean_dataset("emergency_call_volumes")


def build(settings: Settings, run_id: str, params: surges.SurgeParams | None = None) -> dict[str, Any]:
    """Detect every line's surges in its slots and publish them in place of the mart; a summary per line."""
    params = params or surges.SurgeParams()
    lake = Lake(settings)
    version = lake.require(VOLUMES, "run a call-volume feed's clean DAG first (e.g. emergency_hotline_calls_clean)")
    counts = lake.read(VOLUMES, version=version, columns=["line_id", "ts_utc", "calls", "timezone"])
    found = surges.detect(counts.assign(calls=counts["calls"].astype("float64")), params)
    key = idempotency_key(PIPELINE, version, repr(params))
    published = lake.publish(EMERGENCY_ANOMALIES, found.assign(threshold=params.threshold, run_id=run_id), None, run_id, key)
    result = {
        "rows": len(found),
        "version": published.version,
        "input_version": version,
        "slots": len(counts),
        "lines": {
            str(line): {str(d): int(n) for d, n in group.groupby("detector").size().items()}
            for line, group in found.groupby("line_id")
        },
        "params": {"threshold": params.threshold, "min_slots": params.min_slots, "weeks": params.weeks},
    }
    write_run_record(lake, PIPELINE, run_id, result)
    return result
