"""One clean DAG per departmental feed (sources/*.yaml): ingest, standardize and validate on Dask, publish."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, task

from pipelines.orchestration import assets
from pipelines.orchestration.feed_dags import FeedDag, feed_dags
from pipelines.orchestration.task_policy import DASK_POOL, task_defaults


def feed_clean_dag(spec: FeedDag):
    """Wire the clean DAG of one feed."""
    clean_asset = assets.clean(spec.dataset)

    @dag(
        dag_id=spec.dag_id,
        schedule=spec.cadence,  # the feed YAML's cadence: how often the department delivers
        start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        catchup=False,
        max_active_runs=1,
        tags=["citylake", spec.department, "feed", "clean"],
        doc_md=spec.doc_md,
        default_args=task_defaults(spec.department, dt.timedelta(hours=2)),
    )
    def feed_clean() -> None:
        @task
        def ingest(*, run_id: str, logical_date: dt.datetime | None = None) -> dict:
            """Copy new file versions from landing to raw."""
            from pipelines.orchestration import feeds

            return feeds.ingest(spec.feed, run_id, logical_date or dt.datetime.now(dt.UTC))

        @task(outlets=[clean_asset], pool=DASK_POOL)
        def validate_standardize_publish(ingested: dict, *, run_id: str, outlet_events=None) -> dict:
            """Standardize and validate every new file on Dask, pass the quality gate, publish clean + quarantine + ledger."""
            from pipelines.orchestration import feeds

            summary = feeds.clean(spec.feed, run_id)
            outlet_events[clean_asset].extra = summary
            return summary

        validate_standardize_publish(ingest())

    return feed_clean()


for feed_dag in feed_dags():
    feed_clean_dag(feed_dag)
