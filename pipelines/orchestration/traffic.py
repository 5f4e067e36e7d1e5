"""What the traffic DAGs call: plain functions of run ids and DAG params, returning XCom-sized dicts."""

from __future__ import annotations

from typing import Any

from pipelines.domains.traffic import pipeline
from pipelines.domains.traffic.params import TrafficParams
from pipelines.forecasting.loop import NoChampionYet
from pipelines.orchestration.hooks import task_cluster, task_settings


def traffic_params(overrides: dict[str, Any] | None) -> TrafficParams:
    """The city's traffic parameters with an operator's overrides (the DAG's `traffic` param) applied."""
    return TrafficParams.from_dict({k: v for k, v in (overrides or {}).items() if v not in (None, [], {})})


def curate_readings(run_id: str, overrides: dict[str, Any] | None) -> dict[str, Any]:
    """clean traffic_readings -> curated traffic_readings_clean."""
    return pipeline.curate_readings(task_settings(), run_id, traffic_params(overrides))


def train_models(run_id: str, overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Backtest, leaderboard, champions and factors on the Dask cluster."""
    with task_cluster() as (settings, client):
        return pipeline.train(settings, run_id, client, traffic_params(overrides))


def score_forecasts(run_id: str, overrides: dict[str, Any] | None, dates: list[str] | None) -> dict[str, Any]:
    """Forecasts and congestion alerts for the given local dates (default: the latest) on the Dask cluster."""
    from airflow.sdk.exceptions import AirflowSkipException

    with task_cluster() as (settings, client):
        try:
            return pipeline.score(settings, run_id, client, traffic_params(overrides), dates or None)
        except NoChampionYet as exc:
            raise AirflowSkipException(str(exc)) from exc  # a fresh deployment: skipped (not failed) until trained


def score_live(run_id: str, overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Every candidate's forecasts against the readings that came; switches and drift by the champion rule."""
    return pipeline.live_score(task_settings(), run_id, traffic_params(overrides))
