"""What the energy forecasting DAGs call: plain functions of the run id, the operator's overrides and the run's hour,
returning XCom-sized dicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipelines.domains.energy import load_forecasting
from pipelines.domains.energy.load_forecasting import LoadForecastParams
from pipelines.orchestration.hooks import task_cluster, task_settings


def forecast_params(overrides: Mapping[str, Any] | None) -> LoadForecastParams:
    """The city's load forecast parameters with an operator's overrides (the DAG's `forecast` param)."""
    return LoadForecastParams.from_dict({k: v for k, v in (overrides or {}).items() if v not in (None, [], {})})


def train_forecasters(run_id: str, overrides: Mapping[str, Any] | None, as_of: str | None = None) -> dict[str, Any]:
    """Backtest and compare the load forecasters of every declared dataset on the Dask cluster; store them."""
    with task_cluster() as (settings, client):
        return load_forecasting.train(settings, run_id, client, forecast_params(overrides), as_of)


def score_live(run_id: str, overrides: Mapping[str, Any] | None, as_of: str | None = None) -> dict[str, Any]:
    """The load forecasts whose hours came by `as_of`, scored; switches and drift by the champion rule."""
    return load_forecasting.live_score(task_settings(), run_id, forecast_params(overrides), as_of)


def forecast(run_id: str, overrides: Mapping[str, Any] | None, as_of: str | None) -> dict[str, Any]:
    """Every candidate forecasts each meter's next local day; tomorrow's peak-shaving plan from the champions (a
    dataset not trained yet is noted, not failed)."""
    with task_cluster() as (settings, client):
        return load_forecasting.score(settings, run_id, client, forecast_params(overrides), as_of)
