"""What the forecasting DAG factory wires, declared as data: per hourly forecasting domain, a training DAG (weekly,
on drift, by hand) and a scoring DAG (when its inputs are published: score the earlier forecasts live, retrain on
drift, forecast with every candidate). `dags/forecasting.py` only wires them.

A domain's jobs live in `pipelines.orchestration.<module>`: `train_forecasters`, `score_live` and `forecast`, each a
function of (run id, the operator's overrides, as_of) returning an XCom-sized dict; `score_live`'s `drift` list,
when not empty, retrains.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipelines.domains.energy import loads


@dataclass(frozen=True)
class ForecastDags:
    """One domain's training and scoring DAGs."""

    department: str
    training_dag: str
    scoring_dag: str
    module: str  # pipelines.orchestration.<module>: train_forecasters, score_live, forecast
    triggers: tuple[str, ...]  # `zone/name` of the tables whose publish runs the scoring DAG (any of them)
    forecast_task: str
    start: dt.datetime  # before the history it may replay
    params_doc: str  # what the `forecast` param overrides, with an example
    training_doc: str
    scoring_doc: str
    tags: tuple[str, ...] = ()


FORECAST_DAGS: tuple[ForecastDags, ...] = (
    ForecastDags(
        "environment",
        "environment_aqi_forecast_training",
        "environment_aqi_forecast_scoring",
        "air_quality",
        ("curated/air_aqi_hourly",),
        "forecast_and_warn",
        dt.datetime(2013, 1, 1, tzinfo=dt.UTC),  # before the public history (2013-2017), so that it can be replayed
        "Overrides of pipelines.domains.environment.forecast_jobs.AirForecastParams, e.g. "
        '{"horizons_h": [1, 6, 24], "champion_rule": {"margin_pct": 10}}; empty: the city\'s defaults',
        """### Air quality: retrain and compare the AQI forecasters
Weekly, on drift and by hand. Persistence, climatology, ridge and gradient boosting are backtested 1-24 h ahead
on the Dask workers; publishes their rows of `curated/model_leaderboard` (domain `environment`) and stores
every candidate in the model registry for the scoring DAG.""",
        """### Air quality: live model comparison, AQI a day ahead, heavy-pollution warnings
Runs when `curated/air_aqi_hourly` is published. First the earlier forecasts are scored on the AQI that came
(`curated/model_live_scores`) and the champion rule switches champions or flags drift (`curated/model_changes`,
which retrains). Then every candidate forecasts each station 1-24 h ahead (`curated/air_aqi_forecast`, with 90 %
intervals) and the champions warn of heavy pollution, AQI >= 201 (`curated/air_pollution_warnings`).""",
        ("alerts",),
    ),
    ForecastDags(
        "energy",
        "energy_load_forecast_training",
        "energy_load_forecast_scoring",
        "energy_forecast",
        tuple(f"clean/{name}" for name in loads.datasets()),
        "forecast_and_plan",
        dt.datetime(2000, 1, 1, tzinfo=dt.UTC),  # before the public household year (2007), so that it can be replayed
        "Overrides of pipelines.domains.energy.load_forecasting.LoadForecastParams, e.g. "
        '{"datasets": ["building_meter_readings"], "horizons_h": [1, 12, 24], "shifting": {"window_end_h": 20}}; '
        "empty: the city's defaults",
        """### Energy: retrain and compare the day-ahead load forecasters
Weekly, on drift and by hand. For every load dataset declared in `loads/`: the same hour yesterday and last week,
the day-type profile and gradient boosting are backtested 1-24 h ahead on the Dask workers (meter copies left out);
publishes their rows of `curated/model_leaderboard` (domain `energy`, measure `load:<dataset>`) and stores every
candidate in the model registry.""",
        """### Energy: live model comparison, next-day load, tomorrow's peak-shaving plan
Runs when a declared load dataset is published. First the earlier forecasts are scored on the hours that came
(`curated/model_live_scores`; the champion rule switches champions or flags drift, which retrains). Then, from
the end of the latest local day, every candidate forecasts each meter's next 24 hours
(`curated/energy_load_forecast`), and the champions' electricity forecast of the building portfolio is shifted
into tomorrow's plan (`curated/energy_load_shifting_day_ahead`).""",
        ("electricity", "peak-shaving"),
    ),
    ForecastDags(
        "emergency",
        "emergency_calls_forecast_training",
        "emergency_calls_forecast_scoring",
        "emergency_forecast",
        ("clean/emergency_call_volumes",),
        "forecast_and_warn",
        dt.datetime(2000, 1, 1, tzinfo=dt.UTC),  # before the public call-centre year (2003), so that it can be replayed
        "Overrides of pipelines.domains.emergency.call_forecasting.CallForecastParams, e.g. "
        '{"threshold": 3.5, "capacity_per_hour": {"hotline-112": 260}, "horizons_h": [1, 2, 3]}; '
        "empty: the city's defaults",
        """### Emergency: retrain and compare the call-volume forecasters
Weekly, on drift and by hand. For every line of `clean/emergency_call_volumes`: the same hour last week, the
weekday-hour median and the seasonal level are backtested 1-6 h ahead on the Dask workers; publishes their rows of
`curated/model_leaderboard` (domain `emergency`, measure `calls:<line>`) and stores every candidate in the model
registry.""",
        """### Emergency: live model comparison, calls in the hours ahead, early warnings
Runs when `clean/emergency_call_volumes` is published. First the earlier forecasts are scored on the hours that
came (`curated/model_live_scores`; the champion rule switches champions or flags drift, which retrains). Then, from
the latest counted hour, every candidate forecasts each line's next hours (`curated/emergency_call_forecast`, with
90 % intervals) and the champions warn (`curated/emergency_warnings`) of a surge (the hour's robust score at the
`threshold`, 4) or of an hour at the line's capacity (`pipelines/domains/emergency/lines.csv`).""",
        ("calls", "alerts"),
    ),
)


def _module(spec: ForecastDags) -> Any:
    return importlib.import_module(f"pipelines.orchestration.{spec.module}")


def run_hour(requested: str | None, data_interval_end: Any) -> str | None:
    """The point in time a run works as of: the operator's `as_of` param, else the end of the run's data interval
    (an asset-triggered run: when the data came; a replayed run: its logical hour), else None (the latest data)."""
    if requested:
        return str(requested)
    return data_interval_end.isoformat() if data_interval_end is not None else None


def run_job(
    spec: ForecastDags, job: str, run_id: str, params: Mapping[str, Any] | None, data_interval_end: Any
) -> dict[str, Any]:
    """Call the domain's `job` (train_forecasters, score_live or forecast) as of the run's hour (inside a task)."""
    params = params or {}
    as_of = run_hour(params.get("as_of"), data_interval_end)
    result: dict[str, Any] = getattr(_module(spec), job)(run_id, params.get("forecast"), as_of)
    return result
