"""Air quality a day ahead: train and compare the AQI forecasters; forecast, warn and score live."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, dag, task

from pipelines.orchestration import assets
from pipelines.orchestration.task_policy import DASK_POOL, task_defaults

START = dt.datetime(2013, 1, 1, tzinfo=dt.UTC)  # before the public history (2013-2017), so that it can be replayed
FORECAST_PARAM = Param(
    {},
    type="object",
    description="Overrides of pipelines.domains.environment.forecast_jobs.AirForecastParams, e.g. "
    '{"horizons_h": [1, 6, 24], "champion_rule": {"margin_pct": 10}}; empty: the city\'s defaults',
)

AS_OF_PARAM = Param(
    "",
    type="string",
    description="Work as of this UTC time (a replay of the past: only the hours up to it are known); empty: the end "
    "of the run's data interval",
)


@dag(
    dag_id="environment_aqi_forecast_training",
    schedule="@weekly",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["citylake", "environment", "forecasting", "training"],
    default_args=task_defaults("environment", dt.timedelta(hours=3)),
    params={"forecast": FORECAST_PARAM, "as_of": AS_OF_PARAM},
    doc_md="""### Air quality: retrain and compare the AQI forecasters
Weekly, on drift and by hand. Persistence, climatology, ridge and gradient boosting are backtested 1-24 h ahead
on the Dask workers; publishes their rows of `curated/model_leaderboard` (domain `environment`) and stores
every candidate in the model registry for the scoring DAG.""",
)
def environment_aqi_forecast_training() -> None:
    outlets = assets.outlets("environment_aqi_forecast_training")

    @task(outlets=outlets, pool=DASK_POOL)
    def train_and_compare(*, run_id: str, params=None, data_interval_end=None) -> dict:
        """Backtest, rank, store every candidate."""
        from pipelines.orchestration import air_quality

        params = params or {}
        as_of = air_quality.run_hour(params.get("as_of"), data_interval_end)
        return air_quality.train_forecasters(run_id, params.get("forecast"), as_of)

    train_and_compare()


@dag(
    dag_id="environment_aqi_forecast_scoring",
    schedule=[assets.curated("air_aqi_hourly")],
    start_date=START,
    catchup=False,
    max_active_runs=1,
    render_template_as_native_obj=True,  # the retrain's conf passes the forecast overrides on as an object
    tags=["citylake", "environment", "forecasting", "alerts"],
    default_args=task_defaults("environment", dt.timedelta(hours=1)),
    params={"forecast": FORECAST_PARAM, "as_of": AS_OF_PARAM},
    doc_md="""### Air quality: live model comparison, AQI a day ahead, heavy-pollution warnings
Runs when `curated/air_aqi_hourly` is published. First the earlier forecasts are scored on the AQI that came
(`curated/model_live_scores`) and the champion rule switches champions or flags drift (`curated/model_changes`,
which retrains). Then every candidate forecasts each station 1-24 h ahead (`curated/air_aqi_forecast`, with 90 %
intervals) and the champions warn of heavy pollution, AQI >= 201 (`curated/air_pollution_warnings`).""",
)
def environment_aqi_forecast_scoring() -> None:
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

    live_outlets = [assets.curated("model_live_scores"), assets.curated("model_changes")]
    outlets = [assets.curated("air_aqi_forecast"), assets.curated("air_pollution_warnings")]

    @task(outlets=live_outlets)
    def score_live(*, run_id: str, params=None, data_interval_end=None) -> dict:
        """Score the earlier forecasts on the AQI that came; switch champions or flag drift by the rule."""
        from pipelines.orchestration import air_quality

        params = params or {}
        as_of = air_quality.run_hour(params.get("as_of"), data_interval_end)
        return air_quality.score_live(run_id, params.get("forecast"), as_of)

    @task(outlets=outlets, pool=DASK_POOL)
    def forecast_and_warn(*, run_id: str, params=None, data_interval_end=None) -> dict:
        """Forecast with every candidate; warn from the champions' forecasts."""
        from pipelines.orchestration import air_quality

        params = params or {}
        as_of = air_quality.run_hour(params.get("as_of"), data_interval_end)
        return air_quality.forecast_and_warn(run_id, params.get("forecast"), as_of)

    @task.short_circuit
    def drifted(live: dict) -> bool:
        """Whether a champion drifted: then retrain."""
        return bool(live.get("drift"))

    as_of = "{{ params.as_of or (data_interval_end or dag_run.run_after).isoformat() }}"
    retrain = TriggerDagRunOperator(  # retrain on the hours this run knew, logged at this run's hour
        task_id="retrain",
        trigger_dag_id="environment_aqi_forecast_training",
        logical_date=as_of,
        conf={"reason": "drift", "as_of": as_of, "forecast": "{{ params.forecast }}"},
        skip_when_already_exists=True,
        wait_for_completion=False,
    )
    live = score_live()
    live >> forecast_and_warn()
    drifted(live) >> retrain


environment_aqi_forecast_training()
environment_aqi_forecast_scoring()
