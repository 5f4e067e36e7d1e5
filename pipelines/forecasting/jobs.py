"""What an hourly forecasting domain runs on the Dask workers: a backtest fold, a refit stored in the registry, a
stored model's forecasts. Domain-free: a domain passes its series (anything with `values`, T x series, and
`until(end)`) and a `make(name)` that returns a fresh forecaster (a `functools.partial` of its factory, so that it
travels to the workers).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np
import pandas as pd

from pipelines.compute import Shared, map_with_progress
from pipelines.config import Settings
from pipelines.forecasting import backtest, live, loop, registry
from pipelines.forecasting.champions import ChampionRule
from pipelines.forecasting.model import Forecaster
from pipelines.lake.catalog.traffic import MODEL_LEADERBOARD
from pipelines.lake.runs import idempotency_key
from pipelines.lake.storage import Lake

if TYPE_CHECKING:
    import distributed


class Hourly(Protocol):
    """A panel of hourly series a domain's forecasters read."""

    @property
    def values(self) -> np.ndarray: ...

    def until(self, end: int) -> Any: ...


Make = Callable[[str], Forecaster[Any]]


@dataclass(frozen=True)
class FoldJob:
    """One model at one horizon (hours) on one fold: a task on the cluster."""

    model: str
    horizon: int
    fold: int
    bounds: tuple[int, int]

    def describe(self) -> str:
        return f"backtest of {self.model}, {self.horizon} h ahead, fold {self.fold + 1}"


def fold_jobs(models: tuple[str, ...], horizons: tuple[int, ...], folds: list[tuple[int, int]]) -> list[FoldJob]:
    """Every model at every horizon on every fold."""
    return [FoldJob(m, h, f, b) for h in horizons for m in models for f, b in enumerate(folds)]


def run_fold(job: FoldJob, data: Hourly, make: Make) -> backtest.FoldForecast:
    """On a worker: fit on the hours before the fold, forecast every origin of the fold whose target is in the data."""
    start, end = job.bounds
    origins = np.arange(start, min(end, len(data.values) - job.horizon))
    model = make(job.model).fit(data.until(start), job.horizon)
    predicted = model.predict(data, origins, job.horizon) if len(origins) else np.empty((0, data.values.shape[1]))
    return backtest.FoldForecast(job.model, job.horizon, job.fold, origins, predicted)


def fit_and_store(card: registry.ModelCard, data: Hourly, make: Make, settings: Settings, folder: str) -> str:
    """On a worker: fit the card's model on every hour and store it in the registry; its URI."""
    fitted = make(card.model).fit(data, card.signature.horizon_min // 60)
    return loop.store_fitted(card, fitted, settings, folder)


def predict_stored(
    stored: tuple[int, str], data: Hourly, origins: np.ndarray, settings: Settings, make: Make, expected: registry.Signature
) -> np.ndarray:
    """On a worker: a registry model (horizon minutes, URI), checked against `expected` (its measure, unit and
    series), forecasts the origins."""
    from dataclasses import replace

    minutes, uri = stored
    card, state = registry.load(Lake(settings), uri, replace(expected, horizon_min=minutes, features=None))
    return make(card.model).restore(state).predict(data, origins, minutes // 60)


@dataclass(frozen=True)
class Measure:
    """What one training covers: the domain, the measure and its unit, the forecaster factory, the baselines."""

    domain: loop.Domain
    name: str
    unit: str
    make: Make
    baselines: tuple[str, ...]


def backtest_and_store(
    lake: Lake,
    settings: Settings,
    client: distributed.Client,
    measure: Measure,
    series: Any,
    names: tuple[str, ...],
    models: tuple[str, ...],
    horizons_h: tuple[int, ...],
    plan: backtest.BacktestPlan,
    training_id: str,
    input_versions: dict[str, int],
    params_json: str,
    run_id: str,
) -> pd.DataFrame:
    """Backtest every model at every horizon on the workers, refit each on all the hours and store it in the
    registry, publish the leaderboard rows of the training; those rows (`series`: an hourly panel with `times`)."""
    folds = plan.folds_of(len(series.times))
    shared = Shared(series)
    forecasts = map_with_progress(
        client, run_fold, fold_jobs(models, horizons_h, folds), lambda j: j.describe(), shared, measure.make
    )
    board = backtest.leaderboard(forecasts, series, step_minutes=60, baselines=measure.baselines)
    cards = loop.model_cards(
        board,
        registry.Signature(measure.name, measure.unit, 60, 0, names),
        training_id,
        series.times[-1],
        input_versions,
        params_json,
    )
    describe = lambda c: f"refit of {c.model} for {c.signature.horizon_min // 60} h ahead"  # noqa: E731
    folder = lake.layout.models_dir(measure.domain.training_dag, training_id)
    stored = map_with_progress(client, fit_and_store, cards, describe, shared, measure.make, settings, folder)
    board = loop.leaderboard_rows(
        board,
        measure.domain,
        training_id=training_id,
        measure=measure.name,
        unit=measure.unit,
        train_until_utc=series.times[-1],
        test_from_utc=series.times[folds[0][0]],
        test_to_utc=series.times[-1],
        folds=len(folds),
        model_uri=stored,
        params_json=params_json,
        input_version=max(input_versions.values()),
        run_id=run_id,
    )
    key = idempotency_key(f"{measure.domain.name}_training", training_id, run_id)
    lake.publish(MODEL_LEADERBOARD, board, {"training_id": [training_id]}, run_id, key, job=measure.domain.training_dag)
    return board


def forecast_with_candidates(
    client: distributed.Client,
    settings: Settings,
    measure: Measure,
    candidates: pd.DataFrame,
    series: Any,
    names: tuple[str, ...],
    origins: np.ndarray,
) -> list[np.ndarray]:
    """Every candidate (a current_candidates row: horizon, registry URI) forecasts the origins on the workers."""
    shared = Shared(series)
    chosen = [(int(r.horizon_min), r.model_uri) for r in candidates.itertuples()]
    expected = registry.Signature(measure.name, measure.unit, 60, 0, names)
    describe = lambda c: f"forecast {c[0] // 60} h ahead"  # noqa: E731
    return map_with_progress(client, predict_stored, chosen, describe, shared, origins, settings, measure.make, expected)


def hour_of(as_of: str | pd.Timestamp | None) -> pd.Timestamp | None:
    """A run's point in time (ISO text or timestamp; naive is UTC) as a UTC timestamp; None stays None (the latest)."""
    if as_of is None or as_of == "":
        return None
    when = pd.Timestamp(as_of)
    return when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")


P = TypeVar("P")


def params_from_dict(cls: type[P], values: dict[str, Any] | None, what: str, tuples: tuple[str, ...]) -> P:
    """A domain's forecast params (a dataclass with `plan` and `champion_rule`) from plain JSON (DAG params): the
    nested ones built, the lists in `tuples` made tuples; an unknown key is an error naming `what`."""
    values = dict(values or {})
    unknown = sorted(set(values) - {f.name for f in dataclasses.fields(cls)})  # type: ignore[arg-type]
    if unknown:
        raise ValueError(f"unknown {what} forecast parameters {unknown}")
    if "plan" in values:
        values["plan"] = backtest.BacktestPlan(**values["plan"])
    if "champion_rule" in values:
        values["champion_rule"] = ChampionRule(**values["champion_rule"])
    for name in tuples:
        if name in values:
            values[name] = tuple(values[name])
    return cls(**values)


def train_measure(
    lake: Lake,
    settings: Settings,
    client: distributed.Client,
    measure: Measure,
    series: Any,
    models: tuple[str, ...],
    horizons_h: tuple[int, ...],
    plan: backtest.BacktestPlan,
    inputs: tuple[str, int],
    params_json: str,
    logic: list[str],
    run_id: str,
) -> dict[str, Any]:
    """One measure's training (`series`: an hourly panel with `times` and `names`; `inputs`: the clean table's URI and
    the version read): backtest, leaderboard, registry; its id, size and champions per horizon (hours)."""
    uri, version = inputs
    key = idempotency_key(measure.name, version, params_json, logic)[:8]
    training_id = f"{series.times[-1]:%Y%m%dT%H%MZ}-{key}"
    board = backtest_and_store(
        lake,
        settings,
        client,
        measure,
        series,
        tuple(series.names),
        models,
        horizons_h,
        plan,
        training_id,
        {uri: version},
        params_json,
        run_id,
    )
    champions = board[board["is_champion"]].sort_values("horizon_min")
    return {
        "training_id": training_id,
        "series": len(series.names),
        "hours": len(series.times),
        "champions": {str(int(h) // 60): m for h, m in zip(champions["horizon_min"], champions["model"])},
        "gain_vs_best_baseline_pct": {
            str(int(h) // 60): round(float(g), 2)
            for h, g in zip(champions["horizon_min"], champions["gain_vs_best_baseline_pct"])
        },
    }


def live_measure(
    lake: Lake,
    measure: Measure,
    forecasts: pd.DataFrame,
    series: Any,
    candidates: pd.DataFrame,
    rule: ChampionRule,
    run_id: str,
    as_of: pd.Timestamp | None,
) -> dict[str, Any]:
    """One measure's live round: its forecasts (rows with `series`, `origin_date`, `target_ts_utc`, of any training)
    of the current training, over the rule's last days, whose targets the hourly `series` (with `timezone`) has
    reached, scored on its values; the rule decides. A note instead when there is nothing to score."""
    training_id = candidates["training_id"].iloc[0]
    forecasts = forecasts[forecasts["training_id"] == training_id]
    if forecasts.empty:
        return {"days": [], "switches": [], "drift": [], "note": f"no forecasts of {training_id} yet"}
    days = sorted(forecasts["origin_date"].unique())[-rule.window_days :]
    forecasts = forecasts[forecasts["origin_date"].isin(days) & (forecasts["target_ts_utc"] <= series.times[-1])]
    actuals = pd.DataFrame(
        {
            "series": np.tile(np.array(series.names, dtype=object), len(series.times)),
            "ts_utc": np.repeat(series.times, len(series.names)),
            "value": series.values.reshape(-1),
        }
    ).dropna(subset=["value"])
    joined = live.with_actuals(forecasts, actuals, "series")
    return loop.live_round(
        lake, measure.domain, measure.name, measure.unit, joined, candidates, series.timezone, False, rule, run_id, as_of
    )


def beside_earlier(lake: Lake, table: Any, rows: pd.DataFrame, filters: list[tuple[str, str, Any]], origins: Any) -> pd.DataFrame:
    """The new rows with the earlier runs' rows in the partitions `filters` selects from other origins: a run
    replaces its own origins' forecasts (and warnings), not the rest of the day's."""
    if not lake.has(table):
        return rows
    earlier = lake.read(table, filters=filters)
    kept = earlier[~earlier["origin_ts_utc"].isin(origins)]
    return pd.concat([kept, rows], ignore_index=True) if len(kept) else rows


def check_choice(
    horizons_h: tuple[int, ...], most_h: int, models: tuple[str, ...], known: tuple[str, ...], baselines: tuple[str, ...]
) -> None:
    """A domain's params: horizons from 1 to `most_h` hours; models among `known`, the baselines among them."""
    if not horizons_h or min(horizons_h) < 1 or max(horizons_h) > most_h:
        raise ValueError(f"horizons_h must be hours from 1 to {most_h}, not {horizons_h}")
    unknown = sorted(set(models) - set(known))
    if unknown or not set(baselines) <= set(models):
        raise ValueError(f"models must include the baselines {baselines} and be among {known}, not {unknown}")


def candidate_rows(
    origin_ts: pd.Timestamp,
    names: tuple[str, ...],
    candidates: pd.DataFrame,
    predictions: list[np.ndarray],
    floor: float | None = None,
) -> pd.DataFrame:
    """Every candidate's forecasts from one origin, long: series, origin_ts_utc, target_ts_utc, horizon_min, model,
    predicted and its interval (lower at least `floor`), is_champion, training_id (a domain adds its own columns)."""
    frames = []
    for row, predicted in zip(candidates.itertuples(), predictions):
        width = float(row.interval_halfwidth) if pd.notna(row.interval_halfwidth) else np.nan
        values = predicted.reshape(-1)
        lower = values - width if floor is None else np.maximum(values - width, floor)
        frames.append(
            pd.DataFrame(
                {
                    "series": names,
                    "origin_ts_utc": origin_ts,
                    "target_ts_utc": origin_ts + pd.Timedelta(minutes=int(row.horizon_min)),
                    "horizon_min": int(row.horizon_min),
                    "model": row.model,
                    "predicted": values,
                    "lower": lower,
                    "upper": values + width,
                    "is_champion": bool(row.is_champion),
                    "training_id": row.training_id,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
