"""Air quality a day ahead, as jobs: train and compare the forecasters, forecast and warn, score live.

- `train` (DAG `environment_aqi_forecast_training`, weekly and on drift): every candidate at every horizon through
  the shared rolling-origin backtest on the Dask workers; `model_leaderboard` (domain `environment`, measure `aqi`)
  with 90 % interval half-widths; every candidate refitted on all the hours and stored in the registry.
- `score` (DAG `environment_aqi_forecast_scoring`, when `air_aqi_hourly` is published): every candidate forecasts
  each station 1-24 h ahead from each of the latest `score_hours` hours (or those ending at `as_of`: a replay),
  `air_aqi_forecast`; the champions' forecasts raise `air_pollution_warnings`.
- `live_score` (same DAG, first): the forecasts that met their hour's AQI are scored, and the shared champion rule
  switches champions or flags drift (`model_live_scores`, `model_changes`, the leaderboard's live columns).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipelines.config import Settings
from pipelines.domains.environment import forecast
from pipelines.domains.environment.marts import TIMEZONE
from pipelines.forecasting import backtest, jobs, live, loop
from pipelines.forecasting.champions import ChampionRule
from pipelines.forecasting.jobs import hour_of
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.environment import AIR_AQI_FORECAST, AIR_AQI_HOURLY, AIR_POLLUTION_WARNINGS
from pipelines.lake.catalog.traffic import MODEL_LEADERBOARD
from pipelines.lake.runs import idempotency_key, write_run_record
from pipelines.lake.storage import Lake

if TYPE_CHECKING:
    import distributed

log = logging.getLogger(__name__)

TRAIN_PIPELINE, SCORE_PIPELINE = "environment_aqi_forecast_training", "environment_aqi_forecast_scoring"
LOOP = loop.Domain("environment", TRAIN_PIPELINE, SCORE_PIPELINE)
MEASURE, UNIT = "aqi", "AQI"
INPUT_COLUMNS = ["station", "ts_utc", *forecast.POLLUTANTS, *forecast.WEATHER, "wind_dir"]


@dataclass(frozen=True)
class AirForecastParams:
    """Which horizons and models, how the backtest walks, how many hours a scoring run forecasts from."""

    horizons_h: tuple[int, ...] = tuple(range(1, 25))
    models: tuple[str, ...] = forecast.MODELS
    learned_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    plan: backtest.BacktestPlan = field(default_factory=lambda: backtest.BacktestPlan(test_fraction=0.1, folds=2))
    seed: int = 0
    score_hours: int = 24
    stations: tuple[str, ...] = ()  # empty: every station
    champion_rule: ChampionRule = field(default_factory=ChampionRule)

    def __post_init__(self) -> None:
        if not self.horizons_h or min(self.horizons_h) < 1 or max(self.horizons_h) > 24:
            raise ValueError(f"horizons_h must be hours from 1 to 24, not {self.horizons_h}")
        unknown = sorted(set(self.models) - set(forecast.MODELS))
        if unknown or "persistence" not in self.models:
            raise ValueError(f"models must include persistence (the baseline) and be among {forecast.MODELS}, not {unknown}")

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> AirForecastParams:
        """Params from plain JSON (DAG params); unknown keys are an error."""
        return jobs.params_from_dict(cls, values, "air-quality", ("horizons_h", "models", "stations"))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def load_series(lake: Lake, params: AirForecastParams, as_of: pd.Timestamp | None = None) -> tuple[forecast.AirSeries, int]:
    """The stations' hourly AQI and the feed's pollutants and weather up to `as_of` (None: all), with the AQI mart's
    version: what a run at that hour could know."""
    version = lake.require(AIR_AQI_HOURLY, "run the environment_aqi_marts DAG first")
    scope: list[tuple[str, str, object]] = [("station", "in", list(params.stations))] if params.stations else []
    if as_of is not None:
        scope.append(("ts_utc", "<=", as_of))
    aqi = lake.read(AIR_AQI_HOURLY, version=version, columns=["station", "ts_utc", "aqi"], filters=scope or None)
    clean = lake.read(clean_dataset("air_quality_hourly"), columns=INPUT_COLUMNS, filters=scope or None)
    if aqi.empty:
        when = "" if as_of is None else f" up to {as_of.isoformat()}"
        raise ValueError(f"no hourly AQI in {lake.uri(AIR_AQI_HOURLY)} for the stations asked for{when}")
    return forecast.AirSeries.from_frames(aqi, clean, TIMEZONE), version


def measure(params: AirForecastParams) -> jobs.Measure:
    """The AQI as the shared forecasting jobs see it, with the forecaster factory of the params' settings and seed."""
    make = functools.partial(forecast.make_air_forecaster, learned_params=params.learned_params, seed=params.seed)
    return jobs.Measure(LOOP, MEASURE, UNIT, make, forecast.BASELINES)


def train(
    settings: Settings, run_id: str, client: distributed.Client, params: AirForecastParams, as_of: str | None = None
) -> dict[str, Any]:
    """Backtest every candidate at every horizon on the hours up to `as_of` (default: all), publish the leaderboard,
    store every candidate in the registry."""
    lake = Lake(settings)
    series, version = load_series(lake, params, hour_of(as_of))
    logic = sorted({MODEL_LEADERBOARD.logic_version, AIR_AQI_FORECAST.logic_version})
    training_id = f"{series.times[-1]:%Y%m%dT%H%MZ}-" + idempotency_key(version, params.to_json(), logic)[:8]
    board = jobs.backtest_and_store(
        lake,
        settings,
        client,
        measure(params),
        series,
        series.stations,
        params.models,
        params.horizons_h,
        params.plan,
        training_id,
        {lake.uri(AIR_AQI_HOURLY): version},
        params.to_json(),
        run_id,
    )
    champions = board[board["is_champion"]].sort_values("horizon_min")
    summary = {
        "training_id": training_id,
        "stations": len(series.stations),
        "champions": {str(int(h) // 60): m for h, m in zip(champions["horizon_min"], champions["model"])},
        "gain_vs_best_baseline_pct": {
            str(int(h) // 60): round(float(g), 2)
            for h, g in zip(champions["horizon_min"], champions["gain_vs_best_baseline_pct"])
        },
        "input_version": version,
    }
    write_run_record(lake, TRAIN_PIPELINE, run_id, summary)
    return summary


def score(
    settings: Settings, run_id: str, client: distributed.Client, params: AirForecastParams, as_of: str | None = None
) -> dict[str, Any]:
    """Every candidate forecasts every station from each of the `score_hours` hours ending at `as_of` (UTC; default:
    the latest hour), knowing only the hours up to it; publish the forecasts and the champions' warnings in place of
    those origins' earlier ones (the other origins of the same days are kept)."""
    lake = Lake(settings)
    when = hour_of(as_of)
    candidates = loop.current_candidates(lake, LOOP, MEASURE, when)
    series, version = load_series(lake, params, when)
    end = len(series.times)
    origins = np.arange(max(end - params.score_hours, 0), end)
    predictions = jobs.forecast_with_candidates(client, settings, measure(params), candidates, series, series.stations, origins)
    frames = [_forecast_rows(series, origins, row, predicted) for row, predicted in zip(candidates.itertuples(), predictions)]
    rows = pd.concat(frames, ignore_index=True)
    warnings = forecast.heavy_pollution_warnings(rows[rows["is_champion"]])
    dates = sorted({d.isoformat() for d in rows["origin_date"]})
    new_origins = series.times[origins]
    rows = jobs.beside_earlier(lake, AIR_AQI_FORECAST, rows, [("origin_date", "in", dates)], new_origins)
    warnings = forecast.earliest_warnings(
        jobs.beside_earlier(lake, AIR_POLLUTION_WARNINGS, warnings, [("origin_date", "in", dates)], new_origins)
    )
    champions = candidates[candidates["is_champion"]]
    key = idempotency_key(
        "aqi_scoring",
        version,
        candidates["training_id"].iloc[0],
        sorted(zip(champions["horizon_min"].astype(int), champions["model"])),
        [int(origins[0]), int(origins[-1])],
        params.to_json(),
    )
    published = lake.publish(AIR_AQI_FORECAST, rows, {"origin_date": dates}, run_id, key)
    lake.publish(AIR_POLLUTION_WARNINGS, warnings, {"origin_date": dates}, run_id, key)
    result = {
        "training_id": candidates["training_id"].iloc[0],
        "origins": [series.times[origins[0]].isoformat(), series.times[origins[-1]].isoformat()],
        "dates": dates,
        "forecast_rows": int(rows["origin_ts_utc"].isin(new_origins).sum()),
        "warnings": int(warnings["origin_ts_utc"].isin(new_origins).sum()),
        "warnings_by_severity": {
            str(k): int(v)
            for k, v in warnings.loc[warnings["origin_ts_utc"].isin(new_origins), "severity"].value_counts().items()
        },
        "forecast_version": published.version,
    }
    write_run_record(lake, SCORE_PIPELINE, run_id, result)
    return result


def _forecast_rows(series: forecast.AirSeries, origins: np.ndarray, candidate: Any, predicted: np.ndarray) -> pd.DataFrame:
    hours = int(candidate.horizon_min) // 60
    n = len(series.stations)
    targets = origins + hours
    inside = targets < len(series.times)
    actual = np.full(predicted.shape, np.nan)
    actual[inside] = series.values[targets[inside]]
    origin_ts = series.times[origins]
    width = float(candidate.interval_halfwidth) if pd.notna(candidate.interval_halfwidth) else np.nan
    return pd.DataFrame(
        {
            "origin_date": np.repeat(origin_ts.tz_convert(TIMEZONE).date, n),
            "station": np.tile(np.array(series.stations, dtype=object), len(origins)),
            "origin_ts_utc": np.repeat(origin_ts, n),
            "target_ts_utc": np.repeat(origin_ts + pd.Timedelta(hours=hours), n),
            "horizon_min": int(candidate.horizon_min),
            "model": candidate.model,
            "predicted": predicted.reshape(-1),
            "lower": predicted.reshape(-1) - width,
            "upper": predicted.reshape(-1) + width,
            "actual": actual.reshape(-1),
            "is_champion": bool(candidate.is_champion),
            "training_id": candidate.training_id,
        }
    )


def live_score(settings: Settings, run_id: str, params: AirForecastParams, as_of: str | None = None) -> dict[str, Any]:
    """Score the current training's forecasts whose hours have an AQI by `as_of` (default: now); the champion rule
    decides."""
    lake = Lake(settings)
    when = hour_of(as_of)
    if not lake.has(AIR_AQI_FORECAST) or not lake.has(MODEL_LEADERBOARD):
        return {"measure": MEASURE, "days": [], "switches": [], "drift": [], "note": "nothing forecast yet"}
    try:
        candidates = loop.current_candidates(lake, LOOP, MEASURE, when)
    except loop.NoChampionYet as exc:
        return {"measure": MEASURE, "days": [], "switches": [], "drift": [], "note": str(exc)}
    training_id = candidates["training_id"].iloc[0]
    dates = sorted(lake.partition_values(AIR_AQI_FORECAST, "origin_date"))
    if when is not None:
        dates = [d for d in dates if d <= when.tz_convert(TIMEZONE).date().isoformat()]
    recent = dates[-(params.champion_rule.window_days + 1) :]
    forecasts = lake.read(AIR_AQI_FORECAST, filters=[("origin_date", "in", recent)])
    forecasts = forecasts[forecasts["training_id"] == training_id]
    if len(dates) > len(recent):  # the first day's targets also come from the day before it: scored in full before
        target_day = forecasts["target_ts_utc"].dt.tz_convert(TIMEZONE).dt.date
        forecasts = forecasts[target_day >= dt.date.fromisoformat(recent[1])]
    if when is not None:
        forecasts = forecasts[forecasts["target_ts_utc"] <= when]
    if forecasts.empty:
        return {"measure": MEASURE, "days": [], "switches": [], "drift": [], "note": f"no forecasts of {training_id} yet"}
    first, last = forecasts["target_ts_utc"].min(), forecasts["target_ts_utc"].max()
    window: list[tuple[str, str, object]] = [("ts_utc", ">=", first), ("ts_utc", "<=", last)]
    hours = lake.read(AIR_AQI_HOURLY, columns=["station", "ts_utc", "aqi"], filters=window)
    actuals = hours.assign(value=hours["aqi"].astype("float64"))[["station", "ts_utc", "value"]]
    joined = live.with_actuals(forecasts, actuals, "station")
    result = loop.live_round(lake, LOOP, MEASURE, UNIT, joined, candidates, TIMEZONE, False, params.champion_rule, run_id, when)
    write_run_record(lake, f"{SCORE_PIPELINE}_live", run_id, result)
    return result
