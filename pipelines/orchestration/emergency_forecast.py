"""What the emergency call forecasting DAGs call: plain functions of the run id, the operator's overrides and the
run's hour, returning XCom-sized dicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipelines.domains.emergency import call_forecasting
from pipelines.domains.emergency.call_forecasting import CallForecastParams
from pipelines.orchestration.hooks import task_cluster, task_settings


def forecast_params(overrides: Mapping[str, Any] | None) -> CallForecastParams:
    """The city's call forecast parameters with an operator's overrides (the DAG's `forecast` param)."""
    return CallForecastParams.from_dict({k: v for k, v in (overrides or {}).items() if v not in (None, [], {})})


def train_forecasters(run_id: str, overrides: Mapping[str, Any] | None, as_of: str | None = None) -> dict[str, Any]:
    """Backtest and compare the call forecasters of every line on the Dask cluster; store them."""
    with task_cluster() as (settings, client):
        return call_forecasting.train(settings, run_id, client, forecast_params(overrides), as_of)


def score_live(run_id: str, overrides: Mapping[str, Any] | None, as_of: str | None = None) -> dict[str, Any]:
    """The call forecasts whose hours came by `as_of`, scored; switches and drift by the champion rule."""
    return call_forecasting.live_score(task_settings(), run_id, forecast_params(overrides), as_of)


def forecast(run_id: str, overrides: Mapping[str, Any] | None, as_of: str | None) -> dict[str, Any]:
    """Every candidate forecasts each line's next hours; the champions' warnings (a line not trained yet is noted)."""
    with task_cluster() as (settings, client):
        return call_forecasting.score(settings, run_id, client, forecast_params(overrides), as_of)
