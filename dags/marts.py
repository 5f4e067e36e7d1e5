"""Marts rebuilt when their clean datasets are published: energy, water, noise and surface water
(pipelines/orchestration/mart_dags.py declares them; this file only wires)."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, dag, task

from pipelines.orchestration import assets
from pipelines.orchestration.mart_dags import MART_DAGS, MartDag
from pipelines.orchestration.task_policy import task_defaults


def mart_dag(spec: MartDag):
    """Wire one marts DAG: any input's publish runs its one task."""
    outlets = assets.outlets(spec.dag_id)
    triggers = [assets.clean(name) for name in spec.inputs]
    schedule = triggers[0]
    for asset in triggers[1:]:
        schedule = schedule | asset

    @dag(
        dag_id=spec.dag_id,
        schedule=schedule,
        start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        catchup=False,
        max_active_runs=1,
        tags=["citylake", spec.department, *spec.tags, "marts"],
        default_args=task_defaults(spec.department, spec.timeout),
        doc_md=spec.doc_md,
        params={name: Param(default, description=what) for name, default, what in spec.params},
    )
    def marts() -> None:
        @task(task_id=spec.task_id, outlets=outlets)
        def build(*, run_id: str, params=None, outlet_events=None) -> dict:
            """Recompute the marts from their clean datasets and publish them."""
            from pipelines.orchestration.mart_dags import outlet_extra, run_job

            result = run_job(spec, run_id, params)
            for asset in outlets:
                outlet_events[asset].extra = outlet_extra(result, asset.name)
            return result

        build()

    return marts()


for spec in MART_DAGS:
    mart_dag(spec)
