"""What the urban-management DAG calls: a plain function of the run id, returning an XCom-sized dict."""

from __future__ import annotations

from typing import Any

from pipelines.domains.urban import marts
from pipelines.orchestration.hooks import task_settings


def build_marts(run_id: str) -> dict[str, Any]:
    """clean city-management cases -> hotspots, disposal KPIs, recurring problems."""
    return marts.build(task_settings(), run_id)
