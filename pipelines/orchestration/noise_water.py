"""What the noise and water-quality DAG calls: a plain function of the run id, returning an XCom-sized dict."""

from __future__ import annotations

from typing import Any

from pipelines.domains.environment import monitoring
from pipelines.orchestration.hooks import task_settings


def build_marts(run_id: str) -> dict[str, dict[str, Any]]:
    """clean -> curated: noise exceedances and water quality classes (each when its input exists)."""
    return monitoring.build(task_settings(), run_id)
