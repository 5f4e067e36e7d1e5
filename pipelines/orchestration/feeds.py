"""What every feed's clean DAG calls: plain functions of the feed name and run id, returning XCom-sized dicts."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from pipelines.flows import clean as clean_flow
from pipelines.orchestration.connections import INGEST_LAKE_CONN_ID
from pipelines.orchestration.hooks import task_cluster, task_settings
from pipelines.sources.registry import get_source


def ingest(feed_name: str, run_id: str, arrived_at: dt.datetime) -> dict[str, Any]:
    """landing -> raw; returns the file versions seen (small: names, checksums, rows)."""
    report = clean_flow.ingest(task_settings(INGEST_LAKE_CONN_ID), get_source(feed_name), run_id, arrived_at)
    return {
        "new": [asdict(r) for r in report.new],
        "unchanged": [r.file_name for r in report.unchanged],
        "refused": report.refused,
    }


def clean(feed_name: str, run_id: str) -> dict[str, Any]:
    """raw -> clean behind the quality gate; returns the metadata of the clean asset event."""
    from airflow.sdk.exceptions import AirflowSkipException

    try:
        with task_cluster() as (settings, client):
            summary = clean_flow.clean(settings, get_source(feed_name), run_id, client)
    except clean_flow.NothingDelivered as exc:  # an hourly poll before the department's first delivery
        raise AirflowSkipException(str(exc)) from None
    if summary.skipped_as_duplicate:
        # no new data: skipping emits no asset event, so nothing downstream recomputes for nothing
        raise AirflowSkipException(f"nothing new to publish: {summary.dataset} is current (version {summary.table_version})")
    return summary.as_metadata()
