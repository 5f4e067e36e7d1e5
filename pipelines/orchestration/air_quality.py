"""What the air-quality DAGs call (marts, forecasting): plain functions of run ids, params and asset events, returning
XCom-sized dicts."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.domains.environment import forecast_jobs, pipeline
from pipelines.domains.environment.forecast_jobs import AirForecastParams
from pipelines.forecasting.loop import NoChampionYet
from pipelines.orchestration.hooks import task_cluster, task_settings

log = logging.getLogger(__name__)


def build_marts(run_id: str, stations: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    """clean -> curated AQI marts for the given stations (all when None)."""
    with task_cluster() as (settings, client):
        return pipeline.build_marts(settings, run_id, client, list(stations) if stations else None)


def stations_to_rebuild(requested: Sequence[str] | None, events: Mapping[Any, Sequence[Any]] | None) -> list[str] | None:
    """Stations an operator asked for, else those the triggering clean events touched; None means all."""
    if requested:
        return sorted(set(requested))
    touched: set[str] = set()
    for asset_events in (events or {}).values():
        for event in asset_events:
            touched.update((event.extra or {}).get("partitions", []))
    return sorted(touched) or None


def forecast_params(overrides: Mapping[str, Any] | None) -> AirForecastParams:
    """The city's air-quality forecast parameters with an operator's overrides (the DAG's `forecast` param)."""
    return AirForecastParams.from_dict({k: v for k, v in (overrides or {}).items() if v not in (None, [], {})})


def train_forecasters(run_id: str, overrides: Mapping[str, Any] | None, as_of: str | None = None) -> dict[str, Any]:
    """Backtest and compare the AQI forecasters on the Dask cluster on the hours up to `as_of`; store every candidate
    in the registry."""
    with task_cluster() as (settings, client):
        return forecast_jobs.train(settings, run_id, client, forecast_params(overrides), as_of)


def score_live(run_id: str, overrides: Mapping[str, Any] | None, as_of: str | None = None) -> dict[str, Any]:
    """The AQI forecasts that met their hour by `as_of`, scored; switches and drift by the champion rule."""
    return forecast_jobs.live_score(task_settings(), run_id, forecast_params(overrides), as_of)


def forecast(run_id: str, overrides: Mapping[str, Any] | None, as_of: str | None) -> dict[str, Any]:
    """Every candidate forecasts 1-24 h ahead from `as_of`; the champions warn of heavy pollution (skipped until
    trained)."""
    from airflow.sdk.exceptions import AirflowSkipException

    with task_cluster() as (settings, client):
        try:
            return forecast_jobs.score(settings, run_id, client, forecast_params(overrides), as_of)
        except NoChampionYet as exc:
            raise AirflowSkipException(str(exc)) from exc  # a fresh deployment: skipped (not failed) until trained
