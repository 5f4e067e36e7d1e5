"""Calls in the hours ahead, as jobs: train and compare the forecasters, forecast and warn, score live. Each line of
`emergency_call_volumes` is its own measure (`calls:<line>`), in its own zone.

- `train` (DAG `emergency_calls_forecast_training`, weekly and on drift): every candidate 1-6 h ahead through the
  shared rolling-origin backtest on the Dask workers; `model_leaderboard` (domain `emergency`); every candidate
  refitted on all the hours and stored in the registry.
- `score` (DAG `emergency_calls_forecast_scoring`, when call volumes are published): from the latest counted hour
  (as of the run's hour) every candidate forecasts each line's next hours (`emergency_call_forecast`); the champions'
  forecasts give the warnings (`emergency_warnings`): a surge (the hour's score at the threshold) or an hour at the
  line's capacity (`lines.csv`).
- `live_score` (same DAG, first): the forecasts whose hours have come are scored, and the shared champion rule
  switches champions or flags drift.
"""

from __future__ import annotations

import functools
import io
import json
import os
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipelines.config import Settings
from pipelines.domains.emergency import call_forecast, surges
from pipelines.forecasting import backtest, jobs, loop
from pipelines.forecasting.champions import ChampionRule
from pipelines.forecasting.jobs import hour_of
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.emergency import EMERGENCY_CALL_FORECAST, EMERGENCY_WARNINGS
from pipelines.lake.catalog.traffic import MODEL_LEADERBOARD
from pipelines.lake.runs import idempotency_key, write_run_record
from pipelines.lake.storage import Lake

if TYPE_CHECKING:
    import distributed

TRAIN_PIPELINE, SCORE_PIPELINE = "emergency_calls_forecast_training", "emergency_calls_forecast_scoring"
LOOP = loop.Domain("emergency", TRAIN_PIPELINE, SCORE_PIPELINE)
UNIT = "calls/h"
VOLUMES = clean_dataset("emergency_call_volumes")


@dataclass(frozen=True)
class CallForecastParams:
    """Horizons, models, the backtest, the champion rule; the surge threshold (robust score of a forecast hour) and
    the weeks of the baseline; extra capacities (calls per hour by line) over `lines.csv`."""

    horizons_h: tuple[int, ...] = (1, 2, 3, 6)
    models: tuple[str, ...] = call_forecast.MODELS
    plan: backtest.BacktestPlan = field(default_factory=lambda: backtest.BacktestPlan(test_fraction=0.25, folds=2))
    champion_rule: ChampionRule = field(default_factory=ChampionRule)
    threshold: float = 4.0
    weeks: int = 4
    lines: tuple[str, ...] = ()  # empty: every line
    capacity_per_hour: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        jobs.check_choice(self.horizons_h, 12, self.models, call_forecast.MODELS, call_forecast.BASELINES)
        if self.threshold <= 0 or self.weeks < 2:
            raise ValueError(f"need threshold > 0 and weeks >= 2, not {self.threshold} and {self.weeks}")

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> CallForecastParams:
        """Params from plain JSON (DAG params); unknown keys are an error."""
        return jobs.params_from_dict(cls, values, "call", ("horizons_h", "models", "lines"))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def capacities(params: CallForecastParams) -> dict[str, float]:
    """Calls per hour each line can answer: `lines.csv` (or CITYLAKE_EMERGENCY_LINES), then the params' overrides."""
    override = os.environ.get("CITYLAKE_EMERGENCY_LINES")
    text = (
        Path(override).read_text(encoding="utf-8")
        if override
        else resources.files("pipelines.domains.emergency").joinpath("lines.csv").read_text(encoding="utf-8")
    )
    table = pd.read_csv(io.StringIO(text), comment="#", dtype={"line_id": str})
    declared = {
        str(r.line_id): float(r.capacity_calls_per_hour) for r in table.itertuples() if pd.notna(r.capacity_calls_per_hour)
    }
    return declared | {k: float(v) for k, v in params.capacity_per_hour.items()}


def measure_of(line: str) -> str:
    return f"calls:{line}"


def measure(line: str) -> jobs.Measure:
    return jobs.Measure(
        LOOP, measure_of(line), UNIT, functools.partial(call_forecast.make_call_forecaster), call_forecast.BASELINES
    )


def call_series(
    lake: Lake, params: CallForecastParams, as_of: pd.Timestamp | None = None
) -> tuple[dict[str, call_forecast.CallSeries], int] | None:
    """Each chosen line's hourly series from the slots that started before `as_of` (None: all), and the version
    read; None before the first publish."""
    if not lake.has(VOLUMES):
        return None
    version = lake.version(VOLUMES)
    slots = lake.read(VOLUMES, version=version, columns=["line_id", "ts_utc", "slot_minutes", "calls", "timezone"])
    if as_of is not None:
        slots = slots[slots["ts_utc"] < as_of]
    found = {}
    for line, rows in slots.groupby("line_id", sort=True):
        if params.lines and line not in params.lines:
            continue
        found[str(line)] = call_forecast.CallSeries.from_slots(rows, surges.line_zone(rows, str(line)), params.weeks)
    return found, version


def train(
    settings: Settings, run_id: str, client: distributed.Client, params: CallForecastParams, as_of: str | None = None
) -> dict[str, Any]:
    """Backtest every candidate at every horizon on each line's hours up to `as_of` (default: all), publish the
    leaderboards, store every candidate in the registry; per line its champions."""
    lake = Lake(settings)
    found = call_series(lake, params, hour_of(as_of))
    if found is None:
        raise RuntimeError(f"{lake.uri(VOLUMES)} does not exist yet: run a call-volume feed's clean DAG first")
    lines, version = found
    summary = {
        line: jobs.train_measure(
            lake,
            settings,
            client,
            measure(line),
            series,
            params.models,
            params.horizons_h,
            params.plan,
            (lake.uri(VOLUMES), version),
            params.to_json(),
            sorted({MODEL_LEADERBOARD.logic_version, EMERGENCY_CALL_FORECAST.logic_version}),
            run_id,
        )
        for line, series in lines.items()
    }
    write_run_record(lake, TRAIN_PIPELINE, run_id, summary)
    return summary


def forecast_rows(
    series: call_forecast.CallSeries, origin: int, candidates: pd.DataFrame, predictions: list[np.ndarray]
) -> pd.DataFrame:
    """The long forecast rows of every candidate from one origin (the hour `origin`, issued when it ends); an hour
    the line is not counted in (closed) is left out."""
    origin_ts = series.times[origin]
    rows = jobs.candidate_rows(origin_ts, series.names, candidates, predictions, floor=0.0)
    rows.insert(0, "line_id", series.names[0])
    rows.insert(2, "origin_date", origin_ts.tz_convert(series.timezone).date())
    return rows[rows["predicted"].notna()].reset_index(drop=True)


def score(
    settings: Settings, run_id: str, client: distributed.Client, params: CallForecastParams, as_of: str | None = None
) -> dict[str, Any]:
    """For each line with a trained model: every candidate forecasts the hours after the latest counted hour as of
    `as_of` (default: the latest); published in place of that origin's earlier forecasts; the champions' warnings."""
    lake = Lake(settings)
    when = hour_of(as_of)
    found = call_series(lake, params, when)
    if found is None:
        raise RuntimeError(f"{lake.uri(VOLUMES)} does not exist yet: run a call-volume feed's clean DAG first")
    lines, version = found
    capacity = capacities(params)
    result: dict[str, Any] = {}
    for line, series in lines.items():
        try:
            candidates = loop.current_candidates(lake, LOOP, measure_of(line), when)
        except loop.NoChampionYet as exc:
            result[line] = {"note": str(exc)}
            continue
        origin = call_forecast.latest_origin(series, when)
        if origin is None:
            result[line] = {"note": "no counted hour yet"}
            continue
        predictions = jobs.forecast_with_candidates(
            client, settings, measure(line), candidates, series, series.names, np.array([origin])
        )
        rows = forecast_rows(series, origin, candidates, predictions)
        if rows.empty:
            result[line] = {"origin_utc": series.times[origin].isoformat(), "note": "the line is not counted in the hours ahead"}
            continue
        warned = call_forecast.warnings(rows[rows["is_champion"]], series, params.threshold, capacity.get(line))
        day = rows["origin_date"].iloc[0]
        scope = {"line_id": [line], "origin_date": [day.isoformat()]}
        filters = [("line_id", "=", line), ("origin_date", "=", day)]
        key = idempotency_key(
            "emergency_calls_scoring",
            version,
            candidates[["training_id", "model", "is_champion"]].values.tolist(),
            int(origin),
            params.to_json(),
            capacity.get(line),
        )
        origins = rows["origin_ts_utc"].unique()
        published = lake.publish(
            EMERGENCY_CALL_FORECAST,
            jobs.beside_earlier(lake, EMERGENCY_CALL_FORECAST, rows, filters, origins),
            scope,
            run_id,
            key,
        )
        warned = jobs.beside_earlier(lake, EMERGENCY_WARNINGS, warned.assign(run_id=run_id), filters, origins)
        lake.publish(EMERGENCY_WARNINGS, warned, scope, run_id, key)
        champion = rows[rows["is_champion"]]
        now = warned[warned["origin_ts_utc"] == series.times[origin]]
        result[line] = {
            "training_id": candidates["training_id"].iloc[0],
            "origin_utc": series.times[origin].isoformat(),
            "next_hours_calls": {
                str(int(m) // 60): round(float(p), 1) for m, p in zip(champion["horizon_min"], champion["predicted"])
            },
            "warnings": {f"{r.reason} {r.target_ts_utc:%Y-%m-%dT%H:%M}Z": r.severity for r in now.itertuples()},
            "forecast_version": published.version,
        }
    write_run_record(lake, SCORE_PIPELINE, run_id, result)
    return result


def live_score(settings: Settings, run_id: str, params: CallForecastParams, as_of: str | None = None) -> dict[str, Any]:
    """Per line: score the current training's forecasts whose hours were counted by `as_of` (default: now); the
    champion rule decides. The drift and switches of all lines are listed at the top (drift retrains)."""
    lake = Lake(settings)
    when = hour_of(as_of)
    found = call_series(lake, params, when)
    result: dict[str, Any] = {}
    for line, series in (found[0] if found is not None else {}).items():
        if not lake.has(EMERGENCY_CALL_FORECAST):
            result[line] = {"days": [], "switches": [], "drift": [], "note": "nothing forecast yet"}
            continue
        try:
            candidates = loop.current_candidates(lake, LOOP, measure_of(line), when)
        except loop.NoChampionYet as exc:
            result[line] = {"days": [], "switches": [], "drift": [], "note": str(exc)}
            continue
        forecasts = lake.read(EMERGENCY_CALL_FORECAST, filters=[("line_id", "=", line)])
        result[line] = jobs.live_measure(lake, measure(line), forecasts, series, candidates, params.champion_rule, run_id, when)
    rounds = [r for r in result.values() if "note" not in r]
    summary = {
        "lines": result,
        "drift": [f"{r['measure']} {d}" for r in rounds for d in r["drift"]],
        "switches": [f"{r['measure']} {s}" for r in rounds for s in r["switches"]],
    }
    write_run_record(lake, f"{SCORE_PIPELINE}_live", run_id, summary)
    return summary
