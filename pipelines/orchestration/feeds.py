"""What every feed's clean DAG calls: plain functions of the feed name and run id, returning XCom-sized dicts."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from pipelines.flows import clean as clean_flow
from pipelines.orchestration.connections import INGEST_LAKE_CONN_ID
from pipelines.orchestration.hooks import task_cluster, task_settings
from pipelines.sources.registry import get_source
from pipelines.sources.spec import FeedSpec
from pipelines.validate.gate import QualityGateError


def release_hint(feed: FeedSpec) -> str:
    """How an on-call engineer releases a feed held by the quality gate."""
    return (
        f"Retrying will not help: the data will not change by waiting. To release: see the quarantined rows and why with "
        f"`citylake sources check {feed.name} <file>`. If the file is wrong, ask {feed.department} for a corrected file "
        f"and deliver it to landing/{feed.name}/ (it replaces this version); if the rule is wrong, change "
        f"expectations/{feed.suite}.json (the rule, or meta.max_quarantine_ratio) and trigger this DAG again."
    )


def ingest(feed_name: str, run_id: str, arrived_at: dt.datetime) -> dict[str, Any]:
    """landing -> raw; returns the file versions seen (small: names, checksums, rows)."""
    report = clean_flow.ingest(task_settings(INGEST_LAKE_CONN_ID), get_source(feed_name), run_id, arrived_at)
    return {
        "new": [asdict(r) for r in report.new],
        "unchanged": [r.file_name for r in report.unchanged],
        "refused": report.refused,
    }


def clean(feed_name: str, run_id: str) -> dict[str, Any]:
    """raw -> clean behind the quality gate; returns the metadata of the clean asset event.

    A run with nothing new is skipped before Dask starts. A quality-gate failure fails the task at once, without
    retries (waiting changes no data), saying what failed and how to release it; other errors keep their retries.
    """
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    feed = get_source(feed_name)
    try:
        if not clean_flow.pending_files(task_settings(), feed):
            raise AirflowSkipException(f"nothing new to clean for {feed.name}: every file is published (Dask not started)")
        with task_cluster() as (settings, client):
            summary = clean_flow.clean(settings, feed, run_id, client)
    except clean_flow.NothingDelivered as exc:  # an hourly poll before the department's first delivery
        raise AirflowSkipException(str(exc)) from None
    except QualityGateError as exc:
        raise AirflowFailException(f"{exc}\n{release_hint(feed)}") from None
    if summary.skipped_as_duplicate:
        # no new data: skipping emits no asset event, so nothing downstream recomputes for nothing
        raise AirflowSkipException(f"nothing new to publish: {summary.dataset} is current (version {summary.table_version})")
    return summary.as_metadata()
