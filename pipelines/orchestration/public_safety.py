"""What the public-safety DAGs call: plain functions of run ids and DAG params, returning XCom-sized dicts."""

from __future__ import annotations

from typing import Any

from pipelines.domains.public_safety import pipeline
from pipelines.orchestration.hooks import task_cluster


def build_hotspots(run_id: str, granularity: str, min_group_size: int) -> dict[str, Any]:
    """clean crime_incidents -> curated crime_hotspots on the Dask cluster."""
    params = pipeline.HotspotParams(granularity=granularity, min_group_size=min_group_size)
    with task_cluster() as (settings, client):
        return pipeline.build_hotspots(settings, run_id, client, params)


def mine_rules(run_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """Rules for the period asked for (empty: the local year of the latest case) on the Dask cluster."""
    values = {k: v for k, v in params.items() if v not in (None, "")}
    values.setdefault("period", "")
    with task_cluster() as (settings, client):
        return pipeline.mine_rules(settings, run_id, client, pipeline.RuleMiningParams(**values))
