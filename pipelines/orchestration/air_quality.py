"""What the air-quality DAGs' tasks call: plain functions of run ids and asset events, returning XCom-sized dicts."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from pipelines.compute import dask_client
from pipelines.domains.environment import pipeline
from pipelines.orchestration.connections import task_settings

log = logging.getLogger(__name__)


def ingest(run_id: str, arrived_at: dt.datetime) -> dict[str, Any]:
    """landing -> raw; returns the file versions seen (small: names, checksums, rows)."""
    report = pipeline.ingest(task_settings(), run_id, arrived_at)
    return {
        "new": [asdict(r) for r in report.new],
        "unchanged": [r.file_name for r in report.unchanged],
    }


def clean(run_id: str) -> dict[str, Any]:
    """raw -> clean behind the quality gate; returns the metadata of the clean asset event."""
    from airflow.sdk.exceptions import AirflowSkipException

    settings = task_settings()
    with dask_client(settings) as client:
        summary = pipeline.clean(settings, run_id, client)
    if summary.skipped_as_duplicate:
        # no new data: skipping emits no asset event, so the marts are not recomputed for nothing
        raise AirflowSkipException(f"nothing new to publish: {summary.dataset} is current (version {summary.table_version})")
    return summary.as_metadata()


def build_marts(run_id: str, stations: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    """clean -> curated AQI marts for the given stations (all when None)."""
    settings = task_settings()
    with dask_client(settings) as client:
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
