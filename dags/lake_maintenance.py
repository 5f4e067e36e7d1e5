"""The lake's housekeeping: every day, delete the files no table version needs any more."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, dag, task

from pipelines.orchestration.task_policy import task_defaults

DOC = """
### Lake maintenance

Every day, for every Delta table of the lake (clean, quarantine, curated, `_meta`): delete the files
that no version of the table references and that are older than `retention_days` (default 7). Those
are the part files of runs that crashed before their commit (never visible to readers) and the files
that later commits replaced (readers lose time travel to versions older than the retention). The
retention must stay longer than the longest run, whose part files are unreferenced until it commits.
Also the spill a clean run left under `_meta/spill/` when it died while cutting a large file into pieces,
once older than the retention. Code: `pipelines/lake/maintenance.py`.
"""


@dag(
    dag_id="lake_maintenance",
    schedule="@daily",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["citylake", "lake", "maintenance"],
    doc_md=DOC,
    params={"retention_days": Param(7, type="integer", minimum=1, description="Keep unreferenced files younger than this")},
    default_args=task_defaults("lake", dt.timedelta(hours=2)),
)
def lake_maintenance() -> None:
    @task
    def remove_unreferenced_files(*, params=None) -> dict:
        """Vacuum every table: orphans of crashed runs and long-replaced files."""
        from pipelines.orchestration import maintenance

        return maintenance.remove_unreferenced_files(int((params or {}).get("retention_days", 7)))

    remove_unreferenced_files()


lake_maintenance()
