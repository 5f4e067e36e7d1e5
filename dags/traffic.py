"""Smart traffic: curate the readings, retrain and compare the forecasters, score forecasts and alerts.

Three DAGs: curation and scoring follow the data (asset schedules); retraining has its own weekly
schedule, so a model is not refitted on every five minutes of new readings.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, dag, task

from pipelines.orchestration import assets
from pipelines.orchestration.task_policy import DASK_POOL, task_defaults

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TRAFFIC_PARAM = Param(
    {},
    type="object",
    description='Overrides of pipelines.domains.traffic.params.TrafficParams, e.g. {"sensors": ["773869"], '
    '"alerts": {"threshold_kmh": 50}}; empty: the city\'s defaults',
)


@dag(
    dag_id="traffic_readings_curate",
    schedule=[assets.clean("traffic_readings")],
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["citylake", "traffic", "marts"],
    default_args=task_defaults("traffic", dt.timedelta(hours=3)),
    params={"traffic": TRAFFIC_PARAM},
    doc_md="""### Traffic: readings on a regular grid
Runs when `clean/traffic_readings` is published. Publishes `curated/traffic_readings_clean`: every
sensor at every 5 minutes, gaps of up to 15 minutes interpolated (status `interpolated`), longer gaps
left `missing`. Contract: `docs/marts.md`.""",
)
def traffic_readings_curate() -> None:
    outlets = assets.outlets("traffic_readings_curate")

    @task(outlets=outlets)
    def curate_readings(*, run_id: str, params=None, outlet_events=None) -> dict:
        """Grid, interpolate short gaps, publish."""
        from pipelines.orchestration import traffic

        result = traffic.curate_readings(run_id, (params or {}).get("traffic"))
        for asset in outlets:
            outlet_events[asset].extra = result
        return result

    curate_readings()


@dag(
    dag_id="traffic_model_training",
    schedule="@weekly",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["citylake", "traffic", "forecasting", "training"],
    default_args=task_defaults("traffic", dt.timedelta(hours=3)),
    params={"traffic": TRAFFIC_PARAM},
    doc_md="""### Traffic: retrain and compare the forecasters
Weekly, and by hand. A rolling-origin backtest on the last 20 % of the readings scores every model
(historical average, last value, seasonal naive, ridge, gradient boosting) 15, 30 and 60 minutes
ahead on the Dask workers; publishes `curated/model_leaderboard` and `curated/traffic_factors`,
and stores each horizon's champion, refitted on all the data, for the scoring DAG.""",
)
def traffic_model_training() -> None:
    outlets = assets.outlets("traffic_model_training")

    @task(outlets=outlets, pool=DASK_POOL)
    def train_and_compare(*, run_id: str, params=None, outlet_events=None) -> dict:
        """Backtest, rank, store the champions, measure the factors."""
        from pipelines.orchestration import traffic

        result = traffic.train_models(run_id, (params or {}).get("traffic"))
        for asset in outlets:
            outlet_events[asset].extra = {"training_id": result["training_id"], "champions": result["champions"]}
        return result

    train_and_compare()


@dag(
    dag_id="traffic_forecast_scoring",
    schedule=[assets.curated("traffic_readings_clean")],
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["citylake", "traffic", "forecasting", "alerts"],
    default_args=task_defaults("traffic", dt.timedelta(hours=3)),
    params={
        "traffic": TRAFFIC_PARAM,
        "dates": Param([], type="array", description="Local dates (YYYY-MM-DD) to score; empty: the latest"),
    },
    doc_md="""### Traffic: live model comparison, forecasts and congestion alerts
Runs when `curated/traffic_readings_clean` is published. First every candidate's earlier forecasts are scored
against the readings that came (`curated/model_live_scores`); the champion rule switches a horizon's champion
when a challenger is clearly better live, and flags drift (`curated/model_changes`), which triggers
`traffic_model_training`. Then every candidate forecasts every sensor at every origin of the dates asked for
(default: the latest date with readings), with 90 % intervals; the champions' forecasts raise the alerts.
Publishes `curated/traffic_forecast` and `curated/congestion_alerts`, replacing those dates only.""",
)
def traffic_forecast_scoring() -> None:
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

    live_outlets = [assets.curated("model_live_scores"), assets.curated("model_changes")]
    outlets = [assets.curated("traffic_forecast"), assets.curated("congestion_alerts")]

    @task(outlets=live_outlets)
    def score_live(*, run_id: str, params=None) -> dict:
        """Score the earlier forecasts on the new readings; switch champions or flag drift by the rule."""
        from pipelines.orchestration import traffic

        return traffic.score_live(run_id, (params or {}).get("traffic"))

    @task(outlets=outlets, pool=DASK_POOL)
    def forecast_and_warn(*, run_id: str, params=None, outlet_events=None) -> dict:
        """Forecast with every candidate, raise the alerts from the champions', publish."""
        from pipelines.orchestration import traffic

        params = params or {}
        result = traffic.score_forecasts(run_id, params.get("traffic"), params.get("dates"))
        for asset in outlets:
            outlet_events[asset].extra = {"partitions": result["dates"], "alerts": result["alerts"]}
        return result

    @task.short_circuit
    def drifted(live: dict) -> bool:
        """Whether a champion drifted: then retrain."""
        return bool(live.get("drift"))

    retrain = TriggerDagRunOperator(
        task_id="retrain", trigger_dag_id="traffic_model_training", conf={"reason": "drift"}, wait_for_completion=False
    )
    live = score_live()
    live >> forecast_and_warn()
    drifted(live) >> retrain


traffic_readings_curate()
traffic_model_training()
traffic_forecast_scoring()
