"""What the emergency-command DAG calls: a plain function of the run id, returning an XCom-sized dict."""

from __future__ import annotations

from typing import Any

from pipelines.domains.emergency import incidents
from pipelines.orchestration.hooks import task_settings


def fuse_reports(run_id: str) -> dict[str, Any]:
    """clean reports of every channel -> fused incidents."""
    return incidents.build(task_settings(), run_id)
