"""The traffic jobs: lake in, lake out. Curate the readings, train and compare the forecasters, score.

Heavy work (each model x horizon x fold of the backtest, the final fits, the forecasts) runs on the
Dask workers; the client reads the clean tables, scatters the panel once, and publishes each mart in
one atomic Delta commit that replaces exactly the partitions it covers.
"""

from __future__ import annotations

import dataclasses
import io
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipelines.compute import Shared, map_with_progress
from pipelines.config import Settings
from pipelines.domains.traffic import backtest, report
from pipelines.domains.traffic.alerts import ALERT_RULES, congestion_alerts, estimated_capacity
from pipelines.domains.traffic.features import SeriesData
from pipelines.domains.traffic.measures import Measure, get_measure, measures
from pipelines.domains.traffic.models import Forecaster, HistoricalAverage, make_forecaster
from pipelines.domains.traffic.network import network_for
from pipelines.domains.traffic.panel import Panel, curate_measure, panel_from_rows
from pipelines.domains.traffic.params import TrafficParams
from pipelines.forecasting import backtest as shared_backtest
from pipelines.forecasting import live, loop, registry
from pipelines.forecasting.warnings import SKILL_COLUMNS, warning_skill
from pipelines.lake.catalog import Table, clean_dataset
from pipelines.lake.catalog.traffic import (
    CONGESTION_ALERTS,
    MODEL_LEADERBOARD,
    TRAFFIC_FACTORS,
    TRAFFIC_FORECAST,
    TRAFFIC_READINGS_CLEAN,
)
from pipelines.lake.runs import idempotency_key, write_run_record
from pipelines.lake.storage import Lake

if TYPE_CHECKING:
    import distributed


log = logging.getLogger(__name__)

READINGS, SENSORS, LINKS = (clean_dataset(name) for name in ("traffic_readings", "traffic_sensors", "traffic_road_links"))
CURATE_PIPELINE, TRAIN_PIPELINE, SCORE_PIPELINE = "traffic_readings_curate", "traffic_model_training", "traffic_forecast_scoring"
DOMAIN = "traffic"  # how the shared forecasting marts name this domain
LIVE_PIPELINE = "traffic_live_scoring"
LOOP = loop.Domain(DOMAIN, TRAIN_PIPELINE, SCORE_PIPELINE)


def _logic(*tables: Table) -> list[str]:
    """What keys a publish besides its inputs: the version of the logic of the tables it writes."""
    return sorted({t.logic_version for t in tables})


# --- curate: clean readings -> traffic_readings_clean ------------------------------------------------------------


def curate_readings(settings: Settings, run_id: str, params: TrafficParams) -> dict[str, Any]:
    """Put every measure of the clean readings on each sensor's native grid, interpolate short gaps (flagged),
    publish traffic_readings_clean."""
    lake = Lake(settings)
    version = lake.require(READINGS, "run the clean DAG of a traffic feed first (e.g. traffic_metr_la_speeds_clean)")
    declared = measures()
    readings = lake.read(READINGS, version=version, columns=["sensor_id", "ts_utc", *declared])
    if params.sensors:
        readings = readings[readings["sensor_id"].isin(params.sensors)]
    curated = {
        name: curate_measure(readings, name, params.max_gap, params.timezone) for name in declared if readings[name].notna().any()
    }
    if not curated:
        raise ValueError(f"no readings of any measure ({', '.join(declared)}) in {lake.uri(READINGS)}")
    rows = pd.concat([c.rows.assign(unit=get_measure(name).unit) for name, c in curated.items()], ignore_index=True)
    key = idempotency_key("traffic_readings_clean", lake.uri(READINGS), version, params.to_json(), _logic(TRAFFIC_READINGS_CLEAN))
    published = lake.publish(TRAFFIC_READINGS_CLEAN, rows, None, run_id, key, {"citylake.source_version": str(version)})
    result: dict[str, Any] = {"measures": {}}
    for name, c in curated.items():
        counts = c.rows["status"].value_counts().to_dict()
        result["measures"][name] = {
            "rows": len(c.rows),
            "sensors": int(c.rows["sensor_id"].nunique()),
            "sensors_by_step_min": {str(k): v for k, v in c.steps.items()},
            "observed": int(counts.get("observed", 0)),
            "interpolated": int(counts.get("interpolated", 0)),
            "missing": int(counts.get("missing", 0)),
            "off_grid": c.off_grid,
            "single_reading_sensors": list(c.single_readings),
        }
        if c.off_grid or c.single_readings:
            log.warning(
                "%s: %d reading(s) between their sensor's grid points and %d sensor(s) with a single reading are not "
                "curated (they stay in the clean zone)",
                name,
                c.off_grid,
                len(c.single_readings),
            )
    result |= {
        "rows": len(rows),
        "from_utc": rows["ts_utc"].min().isoformat(),
        "to_utc": rows["ts_utc"].max().isoformat(),
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


def load_inputs(lake: Lake, params: TrafficParams) -> tuple[Inputs, TrafficParams]:
    """Read the measure's rows of traffic_readings_clean at its step, the sensors and the road links (links are
    optional: no links, no neighbours); the parameters come back on that step."""
    version = lake.require(TRAFFIC_READINGS_CLEAN, "run the traffic_readings_curate DAG first")
    rows = lake.read(TRAFFIC_READINGS_CLEAN, version=version, filters=[("measure", "=", params.measure)])
    if params.sensors:
        rows = rows[rows["sensor_id"].isin(params.sensors)]
    if rows.empty:
        raise ValueError(f"no {params.measure} readings in {lake.uri(TRAFFIC_READINGS_CLEAN)}: forecast another measure")
    steps = rows.drop_duplicates("sensor_id")["step_min"].value_counts()
    step = pd.Timedelta(params.step) if params.step else pd.Timedelta(minutes=int(steps.index[0]))
    params = params.on_step(step)
    on_step = rows[rows["step_min"] == params.step_minutes]
    if on_step.empty:
        raise ValueError(
            f"no sensor reports {params.measure} every {params.step}; native steps (minutes: sensors): {steps.to_dict()}"
        )
    if len(steps) > 1:
        log.warning(
            "%s: forecasting the sensors on the %s step; sensors on other steps are left out: %s",
            params.measure,
            params.step,
            {int(k): int(v) for k, v in steps.items() if k != params.step_minutes},
        )
    panel = panel_from_rows(on_step, params.step_delta)
    sensors, links = lake.read_or_empty(SENSORS), lake.read_or_empty(LINKS)
    if links.empty:
        log.warning("no road links in the lake (%s): forecasts use each sensor's own readings only", lake.uri(LINKS))
    network = network_for(panel.sensors, sensors, links)
    measure = get_measure(params.measure)
    data = SeriesData.from_panel(panel, network, params.timezone, measure.zero_is_missing)
    return Inputs(panel, data, version), params


# --- train: backtest, leaderboard, champions, factors -------------------------------------------------------------


def fit_and_store(card: registry.ModelCard, data: SeriesData, params: TrafficParams, settings: Settings, folder: str) -> str:
    """On a worker: fit the card's model on all the data and store it in the registry; its URI."""
    horizon = params.horizon_steps(card.signature.horizon_min)
    fitted = make_forecaster(card.model, params.learned_params, params.seed).fit(data, horizon)
    return loop.store_fitted(card, fitted, settings, folder)


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


def run_backtest_job(job: BacktestJob, data: SeriesData, params: TrafficParams) -> shared_backtest.FoldForecast:
    """On a worker: one backtest job."""
    return backtest.run_fold(
        data, job.model, job.horizon, job.fold, job.bounds, params.learned_params, params.seed, job.factor_repeats
    )


def train(settings: Settings, run_id: str, client: distributed.Client, params: TrafficParams) -> dict[str, Any]:
    """Backtest every model at every horizon on the workers, publish the leaderboard and factors, store the champions."""
    lake = Lake(settings)
    inputs, params = load_inputs(lake, params)
    panel, data = inputs.panel, inputs.data
    measure = get_measure(params.measure)
    folds = params.plan.folds_of(len(panel.times))
    training_id = (
        f"{panel.times[-1]:%Y%m%dT%H%MZ}-"
        + idempotency_key(inputs.readings_version, params.to_json(), _logic(MODEL_LEADERBOARD, TRAFFIC_FACTORS))[:8]
    )
    shared = Shared(data)
    last_fold = len(folds) - 1
    jobs = [
        BacktestJob(m, params.horizon_steps(h), f, b, params.factor_repeats if f == last_fold else 0)
        for h in params.horizons_min
        for m in params.models
        for f, b in enumerate(folds)
    ]
    forecasts = map_with_progress(client, run_backtest_job, jobs, lambda j: j.describe(params.step_minutes), shared, params)
    board = shared_backtest.leaderboard(forecasts, data, params.step_minutes)
    best = shared_backtest.champions(board)
    folder = lake.layout.models_dir(TRAIN_PIPELINE, training_id)
    cards = loop.model_cards(
        board,
        registry.Signature(measure.column, measure.unit, params.step_minutes, 0, panel.sensors),
        training_id,
        panel.times[-1],
        {lake.uri(TRAFFIC_READINGS_CLEAN): inputs.readings_version},
        params.to_json(),
    )
    stored = map_with_progress(
        client,
        fit_and_store,
        cards,
        lambda c: f"refit of {c.model} for {c.signature.horizon_min} min ahead on all the data",
        shared,
        params,
        settings,
        folder,
    )
    log.info("%d models stored in the registry under %s", len(stored), folder)
    test_from = panel.times[folds[0][0]]
    board = loop.leaderboard_rows(
        board,
        LOOP,
        training_id=training_id,
        measure=measure.column,
        unit=measure.unit,
        train_until_utc=panel.times[-1],
        test_from_utc=test_from,
        test_to_utc=panel.times[-1],
        folds=len(folds),
        model_uri=stored,
        params_json=params.to_json(),
        input_version=inputs.readings_version,
        run_id=run_id,
    )
    factors = _factors(forecasts, training_id, params).assign(unit=measure.unit)
    key = idempotency_key("traffic_training", training_id, run_id)
    replace = {"training_id": [training_id]}
    lake.publish(MODEL_LEADERBOARD, board, replace, run_id, key)
    lake.publish(TRAFFIC_FACTORS, factors, replace, run_id, key)
    plots = _save_plots(
        lake,
        run_id,
        measure,
        board,
        backtest.explained_factors(board, factors),
        shared_backtest.backtest_frame(
            [f for f in forecasts if best.get(f.horizon * params.step_minutes) == f.model],
            data,
            panel.times,
            panel.sensors,
            params.step_minutes,
        ),
    )
    skill = held_back_warning_skill(forecasts, board, inputs, params, folds[0][0])
    summary = {
        "training_id": training_id,
        "champions": {str(h): m for h, m in best.items()},
        "held_back_warnings": skill.round(4).to_dict("records"),
        "gain_vs_best_baseline_pct": {
            str(int(r.horizon_min)): round(float(r.gain_vs_best_baseline_pct), 2)
            for r in board[board["is_champion"]].itertuples()
        },
        "measure": measure.column,
        "unit": measure.unit,
        "step": params.step,
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


def held_back_warning_skill(
    forecasts: list[shared_backtest.FoldForecast], board: pd.DataFrame, inputs: Inputs, params: TrafficParams, test_from: int
) -> pd.DataFrame:
    """The congestion rule on the champions' backtest forecasts of the held-back days (with their intervals, the usual
    level and capacity as known before those days) against the same rule on the readings: precision, recall and lead
    time of the alerts (`forecasting.warnings`). Empty for a measure without a congestion rule."""
    measure = get_measure(params.measure)
    if measure.column not in ALERT_RULES:
        return pd.DataFrame(columns=SKILL_COLUMNS)
    panel, data = inputs.panel, inputs.data
    history = data.until(test_from)
    usual = HistoricalAverage().fit(history, horizon=0).table
    capacity = dict(zip(panel.sensors, estimated_capacity(np.where(history.observed, history.values, np.nan), params.alerts)))
    champions = board[board["is_champion"]].set_index("horizon_min")
    frames = []
    for f in forecasts:
        minutes = f.horizon * params.step_minutes
        if minutes in champions.index and champions.at[minutes, "model"] == f.model and len(f.origins):
            width = float(champions.at[minutes, "interval_halfwidth"])
            rows = _forecast_rows(panel, data, f.origins, minutes, params, f.predicted, usual, f.model, "")
            frames.append(rows.assign(lower=rows["predicted"] - width, upper=rows["predicted"] + width))
    rows = pd.concat(frames, ignore_index=True)
    rows = rows[rows["actual"].notna()].assign(capacity=lambda f: f["sensor_id"].map(capacity))
    warned = congestion_alerts(rows, params.alerts, measure.column, measure.unit)
    measured = rows.drop(columns=["lower", "upper"]).assign(predicted=rows["actual"])
    happened = congestion_alerts(measured, params.alerts, measure.column, measure.unit)
    return warning_skill(warned, happened, ["sensor_id", "target_ts_utc"])


def _factors(forecasts: list[shared_backtest.FoldForecast], training_id: str, params: TrafficParams) -> pd.DataFrame:
    frames = [
        f.factors.assign(horizon_min=f.horizon * params.step_minutes, model=f.model) for f in forecasts if f.factors is not None
    ]
    if not frames:
        return TRAFFIC_FACTORS.arrow_schema.empty_table().to_pandas().assign(training_id=training_id)
    return pd.concat(frames, ignore_index=True).assign(training_id=training_id)


def _save_plots(
    lake: Lake, run_id: str, measure: Measure, board: pd.DataFrame, factors: pd.DataFrame, champion_backtest: pd.DataFrame
) -> list[str]:
    """The leaderboard, the factors and forecast-against-actual charts, saved with the run record."""
    saved = []
    for name, draw in (
        ("leaderboard.png", lambda out: report.leaderboard_chart(board, measure, out)),
        ("factors.png", lambda out: report.factors_chart(factors, measure, out)),
        ("forecast_vs_actual.png", lambda out: report.forecast_chart(champion_backtest, measure, out)),
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


def current_candidates(lake: Lake, measure: str) -> pd.DataFrame:
    """Every model of the measure's latest training, the champion as it stands now (the shared loop's rule)."""
    return loop.current_candidates(lake, LOOP, measure)


def current_champions(lake: Lake, measure: str) -> pd.DataFrame:
    """The champion rows of the measure's latest training run, as they stand now."""
    candidates = current_candidates(lake, measure)
    return candidates[candidates["is_champion"]].reset_index(drop=True)


def results_text(settings: Settings, measure: str = "speed_kmh") -> str:
    """A readable summary of a measure's latest training and scoring runs, from the marts."""
    lake = Lake(settings)
    champions = current_champions(lake, measure)
    training_id, run_id = champions["training_id"].iloc[0], champions["run_id"].iloc[0]
    board = read_leaderboard(lake, training_id)
    factors = lake.read(TRAFFIC_FACTORS, filters=[("training_id", "=", training_id)])
    lake.require(CONGESTION_ALERTS, "run the traffic_forecast_scoring DAG first")
    alerts = lake.read(CONGESTION_ALERTS, filters=[("measure", "=", measure)])
    forecast_rows = len(lake.read(TRAFFIC_FORECAST, columns=["sensor_id"], filters=[("measure", "=", measure)]))
    plots = sorted(lake.glob(f"{lake.layout.run_artifacts_dir(TRAIN_PIPELINE, run_id)}/*.png"))
    return report.summary_text(
        get_measure(measure), board, backtest.explained_factors(board, factors), alerts, forecast_rows, plots
    )


def predict_with_stored(
    stored: tuple[int, str],
    data: SeriesData,
    origins: np.ndarray,
    expected: registry.Signature,
    params: TrafficParams,
    settings: Settings,
) -> np.ndarray:
    """On a worker: load a (horizon minutes, model URI) model from the registry, checked against the data it is about
    to be given, and forecast from each origin."""
    minutes, model_uri = stored
    card, state = registry.load(Lake(settings), model_uri, dataclasses.replace(expected, horizon_min=minutes))
    model: Forecaster = make_forecaster(card.model, params.learned_params, params.seed).restore(state)
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
    candidates = current_candidates(lake, params.measure)
    inputs, params = load_inputs(lake, params)
    panel, data = inputs.panel, inputs.data
    measure = get_measure(params.measure)
    local_dates = pd.Series(panel.times.tz_convert(params.timezone).date)
    wanted = sorted({pd.Timestamp(d).date() for d in dates}) if dates else [local_dates.iloc[-1]]
    origins = np.flatnonzero(local_dates.isin(wanted).to_numpy())
    if not len(origins):
        raise ValueError(f"no readings on {', '.join(map(str, wanted))}: nothing to score")
    train_until = candidates["train_until_utc"].iloc[0]
    history = data.until(int(np.searchsorted(panel.times, train_until, side="right")))  # "usual" = what training saw
    usual = HistoricalAverage().fit(history, horizon=0).table
    capacity = estimated_capacity(np.where(history.observed, history.values, np.nan), params.alerts)  # volumes: veh/h
    shared = Shared(data)
    chosen = [(int(r.horizon_min), r.model_uri) for r in candidates.itertuples()]
    expected = registry.Signature(measure.column, measure.unit, params.step_minutes, 0, panel.sensors, None)
    predictions = map_with_progress(
        client,
        predict_with_stored,
        chosen,
        lambda c: f"forecast {c[0]} min ahead with {c[1].rsplit('_', 1)[-1].removesuffix('.skops')}",
        shared,
        origins,
        expected,
        params,
        settings,
    )
    frames = [
        _forecast_rows(panel, data, origins, int(row.horizon_min), params, predicted, usual, row.model, row.training_id).assign(
            lower=lambda f, w=row.interval_halfwidth: f["predicted"] - w,
            upper=lambda f, w=row.interval_halfwidth: f["predicted"] + w,
            is_champion=bool(row.is_champion),
        )
        for row, predicted in zip(candidates.itertuples(), predictions)
    ]
    forecast = pd.concat(frames, ignore_index=True).assign(measure=measure.column, unit=measure.unit)
    champions = candidates[candidates["is_champion"]]
    by_champions = forecast[forecast["is_champion"]]
    if measure.column in ALERT_RULES:
        capacities = dict(zip(panel.sensors, capacity))
        alerts = congestion_alerts(
            by_champions.assign(capacity=by_champions["sensor_id"].map(capacities)), params.alerts, measure.column, measure.unit
        )
        alerts = alerts.merge(
            by_champions[["sensor_id", "origin_ts_utc", "horizon_min", "model", "training_id", "origin_date"]],
            left_on=["sensor_id", "origin_ts_utc", "lead_time_min"],
            right_on=["sensor_id", "origin_ts_utc", "horizon_min"],
        ).drop(columns="horizon_min")
    else:  # a measure a department added: forecast, but no congestion rule is known for it
        log.warning("%s has no congestion rule (rules exist for %s): forecasts only, no alerts", measure.column, ALERT_RULES)
        alerts = CONGESTION_ALERTS.arrow_schema.empty_table().to_pandas()
    replace = {"measure": [measure.column], "origin_date": [d.isoformat() for d in wanted]}
    key = idempotency_key(
        "traffic_scoring",
        inputs.readings_version,
        champions["training_id"].iloc[0],
        sorted(zip(champions["horizon_min"].astype(int), champions["model"])),
        replace,
        params.to_json(),
        _logic(TRAFFIC_FORECAST, CONGESTION_ALERTS),
    )
    published_forecast = lake.publish(TRAFFIC_FORECAST, forecast, replace, run_id, key)
    published_alerts = lake.publish(CONGESTION_ALERTS, alerts, replace, run_id, key)
    result = {
        "measure": measure.column,
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
    actual[inside] = np.where(data.observed[targets[inside]], data.values[targets[inside]], np.nan)
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
            "predicted": predicted.reshape(-1),
            "usual": usual[slot].reshape(-1),
            "actual": actual.reshape(-1),
            "training_id": training_id,
        }
    )


# --- live: the forecasts made so far against the readings that came ----------------------------------------------


def live_score(settings: Settings, run_id: str, params: TrafficParams) -> dict[str, Any]:
    """Score every candidate's forecasts whose targets have readings now, over the champion rule's window (and the day
    before, so that a late reading is counted), publish `model_live_scores`, and record the switches and drift warnings
    the rule calls for in `model_changes`. The next scoring run forecasts with the switched champions."""
    lake = Lake(settings)
    measure = get_measure(params.measure)
    if not lake.has(TRAFFIC_FORECAST) or not lake.has(MODEL_LEADERBOARD):
        return {"measure": measure.column, "days": [], "switches": [], "drift": [], "note": "nothing forecast yet"}
    candidates = current_candidates(lake, measure.column)
    training_id = candidates["training_id"].iloc[0]
    origin_dates = sorted(set(lake.partition_values(TRAFFIC_FORECAST, "origin_date")))
    recent = origin_dates[-(params.champion_rule.window_days + 1) :]
    forecasts = lake.read(TRAFFIC_FORECAST, filters=[("measure", "=", measure.column), ("origin_date", "in", recent)])
    forecasts = forecasts[forecasts["training_id"] == training_id]
    if forecasts.empty:
        return {"measure": measure.column, "days": [], "switches": [], "drift": [], "note": f"no forecasts of {training_id} yet"}
    target_days = sorted({d.isoformat() for d in forecasts["target_ts_utc"].dt.tz_convert(params.timezone).dt.date})
    readings = lake.read(
        TRAFFIC_READINGS_CLEAN,
        columns=["sensor_id", "ts_utc", "value", "status"],
        filters=[("measure", "=", measure.column), ("local_date", "in", target_days)],
    )
    observed = readings[readings["status"] == "observed"]
    joined = live.with_actuals(forecasts, observed, "sensor_id")
    result = loop.live_round(
        lake,
        LOOP,
        measure.column,
        measure.unit,
        joined,
        candidates,
        params.timezone,
        measure.zero_is_missing,
        params.champion_rule,
        run_id,
    )
    write_run_record(lake, LIVE_PIPELINE, run_id, result)
    return result
