"""The traffic jobs: lake in, lake out. Curate the readings, train and compare the forecasters, score.

Heavy work (each model x horizon x fold of the backtest, the final fits, the forecasts) runs on the
Dask workers; the client reads the clean tables, scatters the panel once, and publishes each mart in
one atomic Delta commit that replaces exactly the partitions it covers.
"""

from __future__ import annotations

import io
import logging
import pickle
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipelines.compute import map_with_progress
from pipelines.config import Settings
from pipelines.domains.traffic import backtest, report
from pipelines.domains.traffic.alerts import congestion_alerts
from pipelines.domains.traffic.features import SeriesData
from pipelines.domains.traffic.models import Forecaster, HistoricalAverage, make_forecaster
from pipelines.domains.traffic.network import network_for
from pipelines.domains.traffic.panel import Panel, fill_short_gaps, panel_from_rows, panel_rows, regular_panel
from pipelines.domains.traffic.params import TrafficParams
from pipelines.lake.catalog import Table, clean_dataset
from pipelines.lake.catalog.traffic import (
    CONGESTION_ALERTS,
    MODEL_LEADERBOARD,
    TRAFFIC_FACTORS,
    TRAFFIC_FORECAST,
    TRAFFIC_READINGS_CLEAN,
)
from pipelines.lake.runs import code_version, idempotency_key, write_run_record
from pipelines.lake.storage import Lake

if TYPE_CHECKING:
    import distributed


log = logging.getLogger(__name__)

READINGS, SENSORS, LINKS = (clean_dataset(name) for name in ("traffic_readings", "traffic_sensors", "traffic_road_links"))
CURATE_PIPELINE, TRAIN_PIPELINE, SCORE_PIPELINE = "traffic_readings_curate", "traffic_model_training", "traffic_forecast_scoring"


def _logic(*tables: Table) -> list[str]:
    """What keys a publish besides its inputs: the version of the logic of the tables it writes."""
    return sorted({t.logic_version for t in tables})


# --- curate: clean readings -> traffic_readings_clean ------------------------------------------------------------


def curate_readings(settings: Settings, run_id: str, params: TrafficParams) -> dict[str, Any]:
    """Put the clean readings on the regular grid, interpolate short gaps (flagged), publish traffic_readings_clean."""
    lake = Lake(settings)
    version = lake.require(READINGS, "run the traffic_metr_la_speeds_clean DAG first")
    readings = lake.read(READINGS, version=version, columns=["sensor_id", "ts_utc", "speed_kmh"])
    if params.sensors:
        readings = readings[readings["sensor_id"].isin(params.sensors)]
    panel = fill_short_gaps(regular_panel(readings, params.step_delta), params.max_gap_steps)
    rows = panel_rows(panel, params.timezone)
    key = idempotency_key("traffic_readings_clean", lake.uri(READINGS), version, params.to_json(), _logic(TRAFFIC_READINGS_CLEAN))
    published = lake.publish(TRAFFIC_READINGS_CLEAN, rows, None, run_id, key, {"citylake.source_version": str(version)})
    counts = rows["status"].value_counts().to_dict()
    result = {
        "rows": len(rows),
        "sensors": len(panel.sensors),
        "observed": int(counts.get("observed", 0)),
        "interpolated": int(counts.get("interpolated", 0)),
        "missing": int(counts.get("missing", 0)),
        "from_utc": panel.times[0].isoformat(),
        "to_utc": panel.times[-1].isoformat(),
        "partitions": sorted({d.isoformat() for d in rows["local_date"]}),
        "table_version": published.version,
        "clean_version": version,
    }
    write_run_record(lake, CURATE_PIPELINE, run_id, result)
    return result


# --- the inputs every model sees ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """The curated panel and the road network, with the table versions they were read at."""

    panel: Panel
    data: SeriesData
    readings_version: int


def load_inputs(lake: Lake, params: TrafficParams) -> Inputs:
    """Read traffic_readings_clean, the sensors and the road links (links are optional: no links, no neighbours)."""
    version = lake.require(TRAFFIC_READINGS_CLEAN, "run the traffic_readings_curate DAG first")
    rows = lake.read(TRAFFIC_READINGS_CLEAN, version=version)
    if params.sensors:
        rows = rows[rows["sensor_id"].isin(params.sensors)]
    panel = panel_from_rows(rows, params.step_delta)
    sensors, links = lake.read_or_empty(SENSORS), lake.read_or_empty(LINKS)
    if links.empty:
        log.warning("no road links in the lake (%s): forecasts use each sensor's own readings only", lake.uri(LINKS))
    network = network_for(panel.sensors, sensors, links)
    return Inputs(panel, SeriesData.from_panel(panel, network, params.timezone), version)


# --- train: backtest, leaderboard, champions, factors -------------------------------------------------------------


def fit_and_store(champion: tuple[int, str, str], data: SeriesData, params: TrafficParams, settings: Settings) -> str:
    """On a worker: fit a (horizon minutes, model, path) champion on all the data and store it in the lake."""
    minutes, model, path = champion
    fitted = make_forecaster(model, params.learned_params, params.seed).fit(data, params.horizon_steps(minutes))
    Lake(settings).write_bytes(path, pickle.dumps(fitted))
    return path


@dataclass(frozen=True)
class BacktestJob:
    """One model at one horizon on one fold: a task on the cluster."""

    model: str
    horizon: int  # steps
    fold: int
    bounds: tuple[int, int]
    factor_repeats: int

    def describe(self, step_minutes: int) -> str:
        return f"backtest of {self.model}, {self.horizon * step_minutes} min ahead, fold {self.fold + 1}"


def run_backtest_job(job: BacktestJob, data: SeriesData, params: TrafficParams) -> backtest.FoldForecast:
    """On a worker: one backtest job."""
    return backtest.run_fold(
        data, job.model, job.horizon, job.fold, job.bounds, params.learned_params, params.seed, job.factor_repeats
    )


def train(settings: Settings, run_id: str, client: distributed.Client, params: TrafficParams) -> dict[str, Any]:
    """Backtest every model at every horizon on the workers, publish the leaderboard and factors, store the champions."""
    lake = Lake(settings)
    inputs = load_inputs(lake, params)
    panel, data = inputs.panel, inputs.data
    folds = params.plan.folds_of(len(panel.times))
    training_id = (
        f"{panel.times[-1]:%Y%m%dT%H%MZ}-"
        + idempotency_key(inputs.readings_version, params.to_json(), _logic(MODEL_LEADERBOARD, TRAFFIC_FACTORS))[:8]
    )
    shared = client.scatter(data, broadcast=True)
    last_fold = len(folds) - 1
    jobs = [
        BacktestJob(m, params.horizon_steps(h), f, b, params.factor_repeats if f == last_fold else 0)
        for h in params.horizons_min
        for m in params.models
        for f, b in enumerate(folds)
    ]
    forecasts = map_with_progress(client, run_backtest_job, jobs, lambda j: j.describe(params.step_minutes), shared, params)
    board = backtest.leaderboard(forecasts, data, params.step_minutes)
    best = backtest.champions(board)
    paths = {h: lake.layout.model_artifact(TRAIN_PIPELINE, training_id, f"h{h:03d}_{m}.pkl") for h, m in best.items()}
    stored = map_with_progress(
        client,
        fit_and_store,
        [(h, m, paths[h]) for h, m in best.items()],
        lambda c: f"refit of the {c[0]}-minute champion ({c[1]}) on all the data",
        shared,
        params,
        settings,
    )
    log.info("champions stored: %s", ", ".join(stored))
    test_from = panel.times[folds[0][0]]
    board = board.assign(
        training_id=training_id,
        train_until_utc=panel.times[-1],
        test_from_utc=test_from,
        test_to_utc=panel.times[-1],
        folds=len(folds),
        model_uri=[paths[h] if c else None for h, c in zip(board["horizon_min"], board["is_champion"])],
        code_version=code_version(),
        params_json=params.to_json(),
        input_version=inputs.readings_version,
        run_id=run_id,
    )
    factors = _factors(forecasts, training_id, params)
    key = idempotency_key("traffic_training", training_id, run_id)
    replace = {"training_id": [training_id]}
    lake.publish(MODEL_LEADERBOARD, board, replace, run_id, key)
    lake.publish(TRAFFIC_FACTORS, factors, replace, run_id, key)
    plots = _save_plots(
        lake,
        run_id,
        board,
        backtest.explained_factors(board, factors),
        backtest.backtest_frame(
            [f for f in forecasts if best.get(f.horizon * params.step_minutes) == f.model],
            data,
            panel.times,
            panel.sensors,
            params.step_minutes,
        ),
    )
    summary = {
        "training_id": training_id,
        "champions": {str(h): m for h, m in best.items()},
        "gain_vs_best_baseline_pct": {
            str(int(r.horizon_min)): round(float(r.gain_vs_best_baseline_pct), 2)
            for r in board[board["is_champion"]].itertuples()
        },
        "sensors": len(panel.sensors),
        "train_until_utc": panel.times[-1].isoformat(),
        "test_from_utc": test_from.isoformat(),
        "input_version": inputs.readings_version,
        "models": list(params.models),
        "plots": plots,
        "input_partitions": sorted({d.isoformat() for d in panel.times.tz_convert(params.timezone).date}),
    }
    write_run_record(
        lake,
        TRAIN_PIPELINE,
        run_id,
        {
            **summary,
            "params": params.to_json(),
            "leaderboard": board[["horizon_min", "model", "mae", "rmse", "mape_pct", "rank"]].to_dict("records"),
        },
    )
    return summary


def _factors(forecasts: list[backtest.FoldForecast], training_id: str, params: TrafficParams) -> pd.DataFrame:
    frames = [
        f.factors.assign(horizon_min=f.horizon * params.step_minutes, model=f.model) for f in forecasts if f.factors is not None
    ]
    if not frames:
        return TRAFFIC_FACTORS.arrow_schema.empty_table().to_pandas().assign(training_id=training_id)
    return pd.concat(frames, ignore_index=True).assign(training_id=training_id)


def _save_plots(
    lake: Lake, run_id: str, board: pd.DataFrame, factors: pd.DataFrame, champion_backtest: pd.DataFrame
) -> list[str]:
    """The leaderboard, the factors and forecast-against-actual charts, saved with the run record."""
    saved = []
    for name, draw in (
        ("leaderboard.png", lambda out: report.leaderboard_chart(board, out)),
        ("factors.png", lambda out: report.factors_chart(factors, out)),
        ("forecast_vs_actual.png", lambda out: report.forecast_chart(champion_backtest, out)),
    ):
        buffer = io.BytesIO()
        if draw(buffer):
            path = lake.layout.run_artifact(TRAIN_PIPELINE, run_id, name)
            lake.write_bytes(path, buffer.getvalue())
            saved.append(path)
    return saved


# --- score: champions -> traffic_forecast + congestion_alerts -----------------------------------------------------


def read_leaderboard(lake: Lake, training_id: str) -> pd.DataFrame:
    """The leaderboard rows of one training run."""
    lake.require(MODEL_LEADERBOARD, "run the traffic_model_training DAG first")
    return lake.read(MODEL_LEADERBOARD, filters=[("training_id", "=", training_id)])


class NoChampionYet(RuntimeError):
    """Scoring before any model was trained: nothing to forecast with yet."""


def current_champions(lake: Lake) -> pd.DataFrame:
    """The champion rows of the latest training run (latest train_until, then the latest publish)."""
    if not lake.has(MODEL_LEADERBOARD):
        raise NoChampionYet(
            f"no model has been trained yet ({lake.uri(MODEL_LEADERBOARD)} does not exist): "
            "trigger the traffic_model_training DAG"
        )
    board = lake.read(MODEL_LEADERBOARD)
    best = board[board["is_champion"]]
    latest = best.sort_values(["train_until_utc", "training_id"]).iloc[-1]["training_id"]
    return best[best["training_id"] == latest].sort_values("horizon_min").reset_index(drop=True)


def results_text(settings: Settings) -> str:
    """A readable summary of the latest training and scoring runs, from the marts."""
    lake = Lake(settings)
    champions = current_champions(lake)
    training_id, run_id = champions["training_id"].iloc[0], champions["run_id"].iloc[0]
    board = read_leaderboard(lake, training_id)
    factors = lake.read(TRAFFIC_FACTORS, filters=[("training_id", "=", training_id)])
    lake.require(CONGESTION_ALERTS, "run the traffic_forecast_scoring DAG first")
    alerts = lake.read(CONGESTION_ALERTS)
    forecast_rows = len(lake.read(TRAFFIC_FORECAST, columns=["sensor_id"]))
    plots = sorted(lake.glob(f"{lake.layout.run_artifacts_dir(TRAIN_PIPELINE, run_id)}/*.png"))
    return report.summary_text(board, backtest.explained_factors(board, factors), alerts, forecast_rows, plots)


def predict_with_stored(
    champion: tuple[int, str], data: SeriesData, origins: np.ndarray, params: TrafficParams, settings: Settings
) -> np.ndarray:
    """On a worker: load a stored (horizon minutes, model uri) champion and forecast from each origin."""
    minutes, model_uri = champion
    model: Forecaster = pickle.loads(Lake(settings).read_bytes(model_uri))  # our own artifact, written by train()
    return model.predict(data, origins, params.horizon_steps(minutes))


def score(
    settings: Settings,
    run_id: str,
    client: distributed.Client,
    params: TrafficParams,
    dates: list[str] | None = None,
) -> dict[str, Any]:
    """Forecast every sensor from every origin of the given local dates (default: the latest) with the champions."""
    lake = Lake(settings)
    champions = current_champions(lake)
    inputs = load_inputs(lake, params)
    panel, data = inputs.panel, inputs.data
    local_dates = pd.Series(panel.times.tz_convert(params.timezone).date)
    wanted = sorted({pd.Timestamp(d).date() for d in dates}) if dates else [local_dates.iloc[-1]]
    origins = np.flatnonzero(local_dates.isin(wanted).to_numpy())
    if not len(origins):
        raise ValueError(f"no readings on {', '.join(map(str, wanted))}: nothing to score")
    train_until = champions["train_until_utc"].iloc[0]
    history = data.until(int(np.searchsorted(panel.times, train_until, side="right")))  # "usual" = what training saw
    usual = HistoricalAverage().fit(history, horizon=0).table
    shared = client.scatter(data, broadcast=True)
    chosen = [(int(r.horizon_min), r.model_uri) for r in champions.itertuples()]
    predictions = map_with_progress(
        client, predict_with_stored, chosen, lambda c: f"forecast {c[0]} min ahead", shared, origins, params, settings
    )
    frames = [
        _forecast_rows(panel, data, origins, int(row.horizon_min), params, predicted, usual, row.model, row.training_id)
        for row, predicted in zip(champions.itertuples(), predictions)
    ]
    forecast = pd.concat(frames, ignore_index=True)
    alerts = congestion_alerts(forecast, params.alerts)
    alerts = alerts.merge(
        forecast[["sensor_id", "origin_ts_utc", "horizon_min", "model", "training_id", "origin_date"]],
        left_on=["sensor_id", "origin_ts_utc", "lead_time_min"],
        right_on=["sensor_id", "origin_ts_utc", "horizon_min"],
    ).drop(columns="horizon_min")
    replace = {"origin_date": [d.isoformat() for d in wanted]}
    key = idempotency_key(
        "traffic_scoring",
        inputs.readings_version,
        champions["training_id"].iloc[0],
        replace,
        params.to_json(),
        _logic(TRAFFIC_FORECAST, CONGESTION_ALERTS),
    )
    published_forecast = lake.publish(TRAFFIC_FORECAST, forecast, replace, run_id, key)
    published_alerts = lake.publish(CONGESTION_ALERTS, alerts, replace, run_id, key)
    result = {
        "dates": replace["origin_date"],
        "training_id": champions["training_id"].iloc[0],
        "champions": {str(int(r.horizon_min)): r.model for r in champions.itertuples()},
        "forecast_rows": len(forecast),
        "alerts": len(alerts),
        "alerts_by_severity": {str(k): int(v) for k, v in alerts["severity"].value_counts().items()},
        "forecast_version": published_forecast.version,
        "alerts_version": published_alerts.version,
        "input_version": inputs.readings_version,
    }
    write_run_record(lake, SCORE_PIPELINE, run_id, result)
    return result


def _forecast_rows(
    panel: Panel,
    data: SeriesData,
    origins: np.ndarray,
    minutes: int,
    params: TrafficParams,
    predicted: np.ndarray,
    usual: np.ndarray,
    model: str,
    training_id: str,
) -> pd.DataFrame:
    n = len(panel.sensors)
    steps = params.horizon_steps(minutes)
    targets = origins + steps
    inside = targets < len(panel.times)
    actual = np.full(predicted.shape, np.nan)
    actual[inside] = np.where(data.observed[targets[inside]], data.speed[targets[inside]], np.nan)
    slot, _ = data.future_slots(origins, steps)
    origin_ts = panel.times[origins]
    return pd.DataFrame(
        {
            "origin_date": np.repeat(origin_ts.tz_convert(params.timezone).date, n),
            "sensor_id": np.tile(np.array(panel.sensors, dtype=object), len(origins)),
            "origin_ts_utc": np.repeat(origin_ts, n),
            "target_ts_utc": np.repeat(origin_ts + pd.Timedelta(minutes=minutes), n),
            "horizon_min": minutes,
            "model": model,
            "predicted_speed_kmh": predicted.reshape(-1),
            "usual_speed_kmh": usual[slot].reshape(-1),
            "actual_speed_kmh": actual.reshape(-1),
            "training_id": training_id,
        }
    )
