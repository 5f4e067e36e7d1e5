"""Load a day ahead, as jobs: train and compare the forecasters, forecast the next day (and plan its peak shaving),
score live. Every dataset declared in `loads/` is its own measure (`load:<dataset>`), in its own local zone.

- `train` (DAG `energy_load_forecast_training`, weekly and on drift): every candidate 1-24 h ahead through the
  shared rolling-origin backtest on the Dask workers; `model_leaderboard` (domain `energy`); every candidate refitted
  on all the hours and stored in the registry.
- `score` (DAG `energy_load_forecast_scoring`, when a load dataset is published): from the end of the latest local
  day known (as of the run's hour), every candidate forecasts each meter's next 24 hours (`energy_load_forecast`);
  the champions' electricity forecast of the building portfolio is shifted into tomorrow's peak-shaving plan
  (`energy_load_shifting_day_ahead`).
- `live_score` (same DAG, first): the forecasts whose hours have come are scored, and the shared champion rule
  switches champions or flags drift.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipelines.config import Settings
from pipelines.domains.energy import load, load_forecast, loads, meters, portfolio
from pipelines.forecasting import backtest, jobs, loop
from pipelines.forecasting.champions import ChampionRule
from pipelines.forecasting.jobs import hour_of
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.energy import ENERGY_LOAD_FORECAST
from pipelines.lake.catalog.traffic import MODEL_LEADERBOARD
from pipelines.lake.runs import idempotency_key, write_run_record
from pipelines.lake.storage import Lake
from pipelines.sources.registry import local_timezone

if TYPE_CHECKING:
    import distributed

TRAIN_PIPELINE, SCORE_PIPELINE = "energy_load_forecast_training", "energy_load_forecast_scoring"
LOOP = loop.Domain("energy", TRAIN_PIPELINE, SCORE_PIPELINE)
UNIT = "kW"


@dataclass(frozen=True)
class LoadForecastParams:
    """Which horizons, models and datasets; how the backtest walks; the champion rule; the day-ahead plan's window."""

    horizons_h: tuple[int, ...] = tuple(range(1, 25))
    models: tuple[str, ...] = load_forecast.MODELS
    learned_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    plan: backtest.BacktestPlan = field(default_factory=lambda: backtest.BacktestPlan(test_fraction=0.2, folds=2))
    seed: int = 0
    datasets: tuple[str, ...] = ()  # empty: every declared load dataset
    champion_rule: ChampionRule = field(default_factory=ChampionRule)
    shifting: portfolio.ShiftParams = field(default_factory=portfolio.ShiftParams)

    def __post_init__(self) -> None:
        jobs.check_choice(self.horizons_h, 24, self.models, load_forecast.MODELS, load_forecast.BASELINES)

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> LoadForecastParams:
        """Params from plain JSON (DAG params); unknown keys are an error."""
        values = dict(values or {})
        if "shifting" in values:
            values["shifting"] = portfolio.ShiftParams(**values["shifting"])
        return jobs.params_from_dict(cls, values, "load", ("horizons_h", "models", "datasets"))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def measure_of(dataset: str) -> str:
    return f"load:{dataset}"


def measure(params: LoadForecastParams, dataset: str) -> jobs.Measure:
    """A dataset's loads as the shared forecasting jobs see them."""
    make = functools.partial(load_forecast.make_load_forecaster, learned_params=params.learned_params, seed=params.seed)
    return jobs.Measure(LOOP, measure_of(dataset), UNIT, make, load_forecast.BASELINES)


def chosen(params: LoadForecastParams) -> list[loads.Load]:
    """The declared loads the params cover."""
    declared = loads.declared()
    unknown = sorted(set(params.datasets) - {d.dataset for d in declared})
    if unknown:
        raise ValueError(f"no load is declared for {unknown} (loads/*.yaml declares {[d.dataset for d in declared]})")
    return [d for d in declared if not params.datasets or d.dataset in params.datasets]


def without_copies(readings: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """The long readings with `copied` set on each meter copy's readings (what is neither learned from nor scored)."""
    params = load.LoadParams(timezone=timezone)
    flags = [
        load.copied(rows.reset_index(drop=True), params).set_axis(rows.index)
        for _, rows in readings.sort_values(["meter_id", "utility", "ts_utc"]).groupby(["meter_id", "utility"], sort=False)
    ]
    return readings.assign(copied=pd.concat(flags).reindex(readings.index).fillna(False).astype(bool))


def load_series(
    lake: Lake, declared: loads.Load, as_of: pd.Timestamp | None = None
) -> tuple[load_forecast.LoadSeries, int] | None:
    """A dataset's hourly loads up to `as_of` (readings that started before it; None: all) and the version read;
    None before the dataset's first publish."""
    found = meters.read_loads(lake, declared)
    if found is None:
        return None
    readings, version = found
    if as_of is not None:
        readings = readings[readings["ts_utc"] < as_of]
    if readings.empty:
        return None
    zone = local_timezone(declared.dataset)
    return load_forecast.LoadSeries.from_readings(without_copies(readings, zone), zone), version


def train(
    settings: Settings, run_id: str, client: distributed.Client, params: LoadForecastParams, as_of: str | None = None
) -> dict[str, Any]:
    """Backtest every candidate at every horizon on each declared dataset's hours up to `as_of` (default: all),
    publish the leaderboards, store every candidate in the registry; per dataset its champions."""
    lake = Lake(settings)
    summary: dict[str, Any] = {}
    for declared in chosen(params):
        found = load_series(lake, declared, hour_of(as_of))
        if found is None:
            summary[declared.dataset] = {"note": "not published yet"}
            continue
        series, version = found
        summary[declared.dataset] = jobs.train_measure(
            lake,
            settings,
            client,
            measure(params, declared.dataset),
            series,
            params.models,
            params.horizons_h,
            params.plan,
            (lake.uri(clean_dataset(declared.dataset)), version),
            params.to_json(),
            sorted({MODEL_LEADERBOARD.logic_version, ENERGY_LOAD_FORECAST.logic_version}),
            run_id,
        )
    write_run_record(lake, TRAIN_PIPELINE, run_id, summary)
    return summary


def forecast_rows(
    dataset: str, series: load_forecast.LoadSeries, origin: int, candidates: pd.DataFrame, predictions: list[np.ndarray]
) -> pd.DataFrame:
    """The long forecast rows of every candidate from one origin."""
    origin_ts = series.times[origin]
    rows = jobs.candidate_rows(origin_ts, series.names, candidates, predictions)
    meters_, utilities = zip(*(name.split(load_forecast.SEPARATOR, 1) for name in rows["series"]))
    rows.insert(0, "dataset", dataset)
    rows.insert(1, "origin_date", origin_ts.tz_convert(series.timezone).date())
    rows.insert(3, "meter_id", meters_)
    rows.insert(4, "utility", utilities)
    return rows


def score(
    settings: Settings, run_id: str, client: distributed.Client, params: LoadForecastParams, as_of: str | None = None
) -> dict[str, Any]:
    """For each declared dataset with a trained model: every candidate forecasts every meter's next local day from
    the end of the latest day known as of `as_of` (default: the latest readings); published in place of that
    origin's earlier forecasts. Then tomorrow's peak-shaving plan from the champions' building forecasts."""
    lake = Lake(settings)
    when = hour_of(as_of)
    result: dict[str, Any] = {}
    for declared in chosen(params):
        name = measure_of(declared.dataset)
        try:
            candidates = loop.current_candidates(lake, LOOP, name, when)
        except loop.NoChampionYet as exc:
            result[declared.dataset] = {"note": str(exc)}
            continue
        found = load_series(lake, declared, when)
        origin = None if found is None else load_forecast.day_ahead_origin(found[0].times, found[0].timezone, when)
        if found is None or origin is None:
            result[declared.dataset] = {"note": "no whole local day of readings yet"}
            continue
        series, version = found
        origins = np.array([origin])
        predictions = jobs.forecast_with_candidates(
            client, settings, measure(params, declared.dataset), candidates, series, series.names, origins
        )
        rows = forecast_rows(declared.dataset, series, origin, candidates, predictions)
        day = rows["origin_date"].iloc[0].isoformat()
        key = idempotency_key(
            "energy_load_scoring", version, candidates[["training_id", "model", "is_champion"]].values.tolist(), origin
        )
        published = lake.publish(ENERGY_LOAD_FORECAST, rows, {"dataset": [declared.dataset], "origin_date": [day]}, run_id, key)
        champion = rows[rows["is_champion"]]
        result[declared.dataset] = {
            "training_id": candidates["training_id"].iloc[0],
            "origin_utc": series.times[origin].isoformat(),
            "next_day_energy_kwh": {
                utility: round(float(group["predicted"].clip(lower=0).sum()), 1)
                for utility, group in champion.groupby("utility", sort=True)
            },
            "forecast_rows": len(rows),
            "forecast_version": published.version,
        }
        if declared.dataset == portfolio.BUILDINGS.name:
            result[declared.dataset]["day_ahead_plan"] = portfolio.plan_day_ahead(
                settings, run_id, champion[champion["utility"] == "electricity"], params.shifting, series.timezone
            )
    write_run_record(lake, SCORE_PIPELINE, run_id, result)
    return result


def live_score(settings: Settings, run_id: str, params: LoadForecastParams, as_of: str | None = None) -> dict[str, Any]:
    """Per dataset: score the current training's forecasts whose hours have readings by `as_of` (default: now); the
    champion rule decides. The drift and switches of all datasets are listed at the top (drift retrains)."""
    lake = Lake(settings)
    when = hour_of(as_of)
    result: dict[str, Any] = {}
    for declared in chosen(params):
        name = measure_of(declared.dataset)
        if not lake.has(ENERGY_LOAD_FORECAST):
            result[declared.dataset] = {"days": [], "switches": [], "drift": [], "note": "nothing forecast yet"}
            continue
        try:
            candidates = loop.current_candidates(lake, LOOP, name, when)
        except loop.NoChampionYet as exc:
            result[declared.dataset] = {"days": [], "switches": [], "drift": [], "note": str(exc)}
            continue
        found = load_series(lake, declared, when)
        if found is None:
            result[declared.dataset] = {"days": [], "switches": [], "drift": [], "note": "no readings yet"}
            continue
        forecasts = lake.read(ENERGY_LOAD_FORECAST, filters=[("dataset", "=", declared.dataset)])
        result[declared.dataset] = jobs.live_measure(
            lake, measure(params, declared.dataset), forecasts, found[0], candidates, params.champion_rule, run_id, when
        )
    rounds = [r for r in result.values() if "note" not in r]
    summary = {
        "datasets": result,
        "drift": [f"{r['measure']} {d}" for r in rounds for d in r["drift"]],
        "switches": [f"{r['measure']} {s}" for r in rounds for s in r["switches"]],
    }
    write_run_record(lake, f"{SCORE_PIPELINE}_live", run_id, summary)
    return summary
