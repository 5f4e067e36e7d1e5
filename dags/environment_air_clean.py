"""Air quality, landing -> raw -> clean: ingest, validate (Great Expectations) and cleanse on Dask, publish."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, task

from pipelines.orchestration.assets import AIR_QUALITY_CLEAN

DOC = """
### Air quality: ingest, validate, cleanse, publish

Every hour, files the environment bureau dropped into `landing/air_beijing/` are copied to `raw/`
with a manifest (checksum, bytes, rows, arrival). Each station's latest file version is then parsed,
converted to the canonical schema (UTC time, CO in mg/m3), checked against the expectation suite
`expectations/air_quality_hourly.json` on the Dask workers, and deduplicated. Rows that fail go to
`quarantine/air_quality_hourly` with a reason code. If a station's quarantined share passes the
suite's threshold, the run **fails before anything is published**: read the task log for the
reasons, fix the delivery, rerun.

Publishing is one atomic Delta commit per table that replaces only the stations covered; a rerun
with the same inputs changes nothing. Publishes the asset `air_quality_hourly` with the row counts,
quarantined rows by reason and the partitions touched.
"""


@dag(
    dag_id="environment_air_clean",
    schedule="@hourly",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["citylake", "environment", "air-quality", "clean"],
    doc_md=DOC,
    default_args={"owner": "environment", "retries": 2, "retry_delay": dt.timedelta(minutes=2)},
)
def environment_air_clean() -> None:
    @task
    def ingest(*, run_id: str, logical_date: dt.datetime | None = None) -> dict:
        """Copy new file versions from landing to raw."""
        from pipelines.orchestration import air_quality

        return air_quality.ingest(run_id, logical_date or dt.datetime.now(dt.UTC))

    @task(outlets=[AIR_QUALITY_CLEAN])
    def validate_cleanse_publish(ingested: dict, *, run_id: str, outlet_events=None) -> dict:
        """Validate and cleanse every station on Dask, pass the quality gate, publish clean + quarantine + ledger."""
        from pipelines.orchestration import air_quality

        summary = air_quality.clean(run_id)
        outlet_events[AIR_QUALITY_CLEAN].extra = summary
        return summary

    validate_cleanse_publish(ingest())


environment_air_clean()
