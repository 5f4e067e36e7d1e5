"""What the AQI marts DAG calls: plain functions of run ids and asset events, returning XCom-sized dicts."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.domains.environment import pipeline
from pipelines.orchestration.hooks import task_cluster

log = logging.getLogger(__name__)


def build_marts(run_id: str, stations: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    """clean -> curated AQI marts for the given stations (all when None)."""
    with task_cluster() as (settings, client):
        return pipeline.build_marts(settings, run_id, client, list(stations) if stations else None)


def stations_to_rebuild(requested: Sequence[str] | None, events: Mapping[Any, Sequence[Any]] | None) -> list[str] | None:
    """Stations an operator asked for, else those the triggering clean events touched; None means all."""
    if requested:
        return sorted(set(requested))
    touched: set[str] = set()
    for asset_events in (events or {}).values():
        for event in asset_events:
            touched.update((event.extra or {}).get("partitions", []))
    return sorted(touched) or None
