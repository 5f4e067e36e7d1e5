"""Forecasting a day ahead, per domain: a training DAG (weekly, on drift, by hand) and a scoring DAG (live scores,
retraining on drift, forecasts). pipelines/orchestration/forecast_dags.py declares them; this file only wires."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, dag, task

from pipelines.orchestration import assets
from pipelines.orchestration.forecast_dags import FORECAST_DAGS, ForecastDags
from pipelines.orchestration.task_policy import DASK_POOL, task_defaults

AS_OF_PARAM = Param(
    "",
    type="string",
    description="Work as of this UTC time (a replay of the past: only the hours up to it are known); empty: the end "
    "of the run's data interval",
)


def trigger(ref: str):
    zone, name = ref.split("/")
    return assets.clean(name) if zone == "clean" else assets.curated(name)


def training_dag(spec: ForecastDags):
    forecast_param = Param({}, type="object", description=spec.params_doc)

    @dag(
        dag_id=spec.training_dag,
        schedule="@weekly",
        start_date=spec.start,
        catchup=False,
        max_active_runs=1,
        tags=["citylake", spec.department, "forecasting", "training"],
        default_args=task_defaults(spec.department, dt.timedelta(hours=3)),
        params={"forecast": forecast_param, "as_of": AS_OF_PARAM},
        doc_md=spec.training_doc,
    )
    def training() -> None:
        @task(outlets=assets.outlets(spec.training_dag), pool=DASK_POOL)
        def train_and_compare(*, run_id: str, params=None, data_interval_end=None) -> dict:
            """Backtest, rank, store every candidate."""
            from pipelines.orchestration.forecast_dags import run_job

            return run_job(spec, "train_forecasters", run_id, params, data_interval_end)

        train_and_compare()

    return training()


def scoring_dag(spec: ForecastDags):
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

    forecast_param = Param({}, type="object", description=spec.params_doc)
    triggers = [trigger(ref) for ref in spec.triggers]
    schedule = triggers[0] if len(triggers) > 1 else triggers  # any of several; one: a list of it
    for asset in triggers[1:]:
        schedule = schedule | asset
    live_outlets = [assets.curated("model_live_scores"), assets.curated("model_changes")]
    outlets = [a for a in assets.outlets(spec.scoring_dag) if a not in live_outlets]

    @dag(
        dag_id=spec.scoring_dag,
        schedule=schedule,
        start_date=spec.start,
        catchup=False,
        max_active_runs=1,
        render_template_as_native_obj=True,  # the retrain's conf passes the forecast overrides on as an object
        tags=["citylake", spec.department, "forecasting", *spec.tags],
        default_args=task_defaults(spec.department, dt.timedelta(hours=1)),
        params={"forecast": forecast_param, "as_of": AS_OF_PARAM},
        doc_md=spec.scoring_doc,
    )
    def scoring() -> None:
        @task(outlets=live_outlets)
        def score_live(*, run_id: str, params=None, data_interval_end=None) -> dict:
            """Score the earlier forecasts on what came; switch champions or flag drift by the rule."""
            from pipelines.orchestration.forecast_dags import run_job

            return run_job(spec, "score_live", run_id, params, data_interval_end)

        @task(task_id=spec.forecast_task, outlets=outlets, pool=DASK_POOL)
        def forecast(*, run_id: str, params=None, data_interval_end=None) -> dict:
            """Forecast with every candidate (skipped until a model is trained)."""
            from pipelines.orchestration.forecast_dags import run_job

            return run_job(spec, "forecast", run_id, params, data_interval_end)

        @task.short_circuit
        def drifted(live: dict) -> bool:
            """Whether a champion drifted: then retrain."""
            return bool(live.get("drift"))

        as_of = "{{ params.as_of or (data_interval_end or dag_run.run_after).isoformat() }}"
        retrain = TriggerDagRunOperator(  # retrain on the hours this run knew, logged at this run's hour
            task_id="retrain",
            trigger_dag_id=spec.training_dag,
            logical_date=as_of,
            conf={"reason": "drift", "as_of": as_of, "forecast": "{{ params.forecast }}"},
            skip_when_already_exists=True,
            wait_for_completion=False,
        )
        live = score_live()
        live >> forecast()
        drifted(live) >> retrain

    return scoring()


for spec in FORECAST_DAGS:
    training_dag(spec)
    scoring_dag(spec)
