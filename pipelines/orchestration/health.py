"""What the health DAG calls: a plain function of the run id and the DAG's params, returning an XCom-sized dict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipelines.domains.health import marts, private_counts, testing
from pipelines.orchestration.hooks import task_settings


def build_marts(run_id: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """clean tests -> testing statistics with small cells withheld, outbreak signals, and (epsilon > 0) differentially
    private daily counts (k, epsilon, max_tests_per_person from the DAG's params)."""
    values = params or {}
    k = int(values.get("k", testing.HealthParams().k))
    epsilon = float(values.get("epsilon") or 0)
    bound = int(values.get("max_tests_per_person", private_counts.PrivacyParams.max_tests_per_person))
    privacy = private_counts.PrivacyParams(epsilon, bound) if epsilon > 0 else None
    return marts.build(task_settings(), run_id, testing.HealthParams(k=k), privacy)
