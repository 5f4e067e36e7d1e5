"""What the emergency-command DAGs call: plain functions of the run id (and the DAG's params), returning XCom-sized
dicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipelines.domains.emergency import call_marts, incidents, surges
from pipelines.orchestration.hooks import task_settings


def fuse_reports(run_id: str) -> dict[str, Any]:
    """clean reports of every channel -> fused incidents."""
    return incidents.build(task_settings(), run_id)


def detect_surges(run_id: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """clean call volumes -> each line's surges, with the thresholds of the DAG's params."""
    return call_marts.build(task_settings(), run_id, surges.SurgeParams.from_dict(dict(params or {})))
