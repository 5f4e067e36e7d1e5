"""What the health DAG calls: a plain function of the run id and the DAG's params, returning an XCom-sized dict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipelines.domains.health import marts, testing
from pipelines.orchestration.hooks import task_settings


def build_marts(run_id: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """clean tests -> testing statistics with small cells withheld, and outbreak signals (k from the DAG's params)."""
    k = int((params or {}).get("k", testing.HealthParams().k))
    return marts.build(task_settings(), run_id, testing.HealthParams(k=k))
