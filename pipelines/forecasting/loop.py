"""The forecasting loop's lake side, shared by every domain: which models are candidates and champions now, and one
live round (score the forecasts that met their readings, let the champion rule decide, show it on the leaderboard).

A domain brings its forecasts joined to their actuals; the round publishes `model_live_scores`, `model_changes`
and the training's `model_leaderboard` rows with their live columns, each under the domain's name.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipelines.config import Settings
from pipelines.forecasting import live, registry
from pipelines.forecasting.champions import ChampionRule, Decision, decide
from pipelines.forecasting.model import Forecaster
from pipelines.lake.catalog.forecasting import MODEL_CHANGES, MODEL_LIVE_SCORES
from pipelines.lake.catalog.traffic import MODEL_LEADERBOARD
from pipelines.lake.runs import code_version, idempotency_key
from pipelines.lake.storage import Lake

LIVE_COLUMNS = ["live_mae", "live_rmse", "live_coverage_pct", "live_points", "live_days", "champion_now"]


def model_cards(
    board: pd.DataFrame,
    signature: registry.Signature,
    training_id: str,
    trained_until: pd.Timestamp,
    input_versions: dict[str, int],
    params_json: str,
) -> list[registry.ModelCard]:
    """A registry card per leaderboard row (`signature` with each row's horizon), the backtest's errors its metrics."""
    return [
        registry.ModelCard(
            model=r.model,
            signature=dataclasses.replace(signature, horizon_min=int(r.horizon_min)),
            training_id=training_id,
            trained_until_utc=trained_until.isoformat(),
            input_versions=input_versions,
            params=json.loads(params_json),
            metrics={"backtest_mae": r.mae, "backtest_rmse": r.rmse, "interval_halfwidth": r.interval_halfwidth},
            code_version=code_version(),
        )
        for r in board.itertuples()
    ]


def store_fitted(card: registry.ModelCard, fitted: Forecaster[Any], settings: Settings, folder: str) -> str:
    """On a worker: a model fitted on all the data, signed with its inputs and stored in the registry; its URI."""
    signed = dataclasses.replace(card, signature=dataclasses.replace(card.signature, features=fitted.input_names))
    return registry.save(Lake(settings), folder, signed, fitted.state())


def leaderboard_rows(board: pd.DataFrame, domain: Domain, **provenance: Any) -> pd.DataFrame:
    """A training's leaderboard as published: the backtest's rows with the domain and provenance columns, and the
    live columns empty until the readings after training come (`live_round` fills them)."""
    return board.assign(
        domain=domain.name,
        code_version=code_version(),
        trained_at_utc=pd.Timestamp.now(tz="UTC").floor("s"),
        **provenance,
        live_mae=np.nan,
        live_rmse=np.nan,
        live_coverage_pct=np.nan,
        live_points=pd.NA,
        live_days=pd.NA,
        champion_now=board["is_champion"],
    )


class NoChampionYet(RuntimeError):
    """Scoring before any model was trained: nothing to forecast with yet."""


@dataclass(frozen=True)
class Domain:
    """How a forecasting domain names itself in the shared marts, and its DAGs."""

    name: str  # `traffic`, `environment`
    training_dag: str
    scoring_dag: str


def _board(lake: Lake, domain: Domain, measure: str, as_of: pd.Timestamp | None) -> pd.DataFrame:
    if not lake.has(MODEL_LEADERBOARD):
        raise NoChampionYet(
            f"no model has been trained yet ({lake.uri(MODEL_LEADERBOARD)} does not exist): trigger the {domain.training_dag} DAG"
        )
    board = lake.read(MODEL_LEADERBOARD, filters=[("measure", "=", measure)])
    if as_of is not None:
        board = board[board["train_until_utc"] <= as_of]
    if board.empty:
        when = "" if as_of is None else f" on data up to {as_of.isoformat()}"
        raise NoChampionYet(f"no model of {measure} has been trained{when} yet: trigger {domain.training_dag}")
    return board


def current_candidates(lake: Lake, domain: Domain, measure: str, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Every model of the measure's latest training run (latest train_until, then the latest trained), with
    `is_champion` as it stands now: the backtest's champion unless the live rule switched it since (model_changes).

    `as_of` (a replay of the past) sees only the trainings and switches that existed then."""
    board = _board(lake, domain, measure, as_of)
    ordered = board.sort_values(["train_until_utc", "trained_at_utc", "training_id"], na_position="first")
    latest = ordered.iloc[-1]["training_id"]
    candidates = board[board["training_id"] == latest].sort_values(["horizon_min", "rank"]).reset_index(drop=True)
    champion = candidates["is_champion"].astype(bool)
    for horizon, model in live_switches(lake, domain, measure, latest, as_of).items():
        here = candidates["horizon_min"] == horizon
        champion = champion.where(~here, candidates["model"] == model)
    return candidates.assign(is_champion=champion)


def live_switches(
    lake: Lake, domain: Domain, measure: str, training_id: str, as_of: pd.Timestamp | None = None
) -> dict[int, str]:
    """Per horizon, the model the live rule made champion last for this training run (none: the backtest's stands);
    with `as_of`, only switches decided on evidence up to that day."""
    if not lake.has(MODEL_CHANGES):
        return {}
    changes = lake.read(MODEL_CHANGES, filters=[("domain", "=", domain.name), ("measure", "=", measure)])
    switches = changes[(changes["kind"] == "switch") & (changes["training_id"] == training_id)]
    if as_of is not None:
        switches = switches[switches["decided_at_utc"] <= as_of]
    latest = switches.sort_values(["window_to", "run_id"]).drop_duplicates("horizon_min", keep="last")
    return dict(zip(latest["horizon_min"].astype(int), latest["challenger"]))


def live_round(
    lake: Lake,
    domain: Domain,
    measure: str,
    unit: str,
    joined: pd.DataFrame,
    candidates: pd.DataFrame,
    timezone: str,
    zero_is_missing: bool,
    rule: ChampionRule,
    run_id: str,
    as_of: pd.Timestamp | None = None,
) -> dict[str, Any]:
    """Score the forecasts of the candidates' training that met their readings (`joined`: forecast rows with
    `actual`), publish the live scores (beside other trainings' scores of the same days), decide and record switches
    and drift, and show the live errors beside the backtest's on the leaderboard. `as_of`: a replay's hour."""
    training_id = candidates["training_id"].iloc[0]
    scores = live.live_scores(joined, timezone, zero_is_missing)
    was_champion = joined.groupby(["model", "horizon_min"])["is_champion"].any()
    scores = scores.assign(
        domain=domain.name,
        measure=measure,
        unit=unit,
        training_id=training_id,
        is_champion=[bool(was_champion.get((m, h), False)) for m, h in zip(scores["model"], scores["horizon_min"])],
        run_id=run_id,
    )
    days = sorted({d.isoformat() for d in scores["day"]})
    if days:
        key = idempotency_key(f"{domain.name}_live", training_id, measure, days, int(joined["actual"].notna().sum()))
        scope = {"domain": [domain.name], "measure": [measure], "day": days}
        earlier = (
            lake.read(MODEL_LIVE_SCORES, filters=[("domain", "=", domain.name), ("measure", "=", measure), ("day", "in", days)])
            if lake.has(MODEL_LIVE_SCORES)
            else scores.iloc[:0]
        )
        others = earlier[earlier["training_id"] != training_id]
        rows = pd.concat([others, scores], ignore_index=True) if len(others) else scores
        lake.publish(MODEL_LIVE_SCORES, rows, scope, run_id, key, job=domain.scoring_dag)
    champions = candidates[candidates["is_champion"]]
    decisions = decide(
        scores,
        dict(zip(champions["horizon_min"].astype(int), champions["model"])),
        {(int(h), m): float(mae) for h, m, mae in zip(candidates["horizon_min"], candidates["model"], candidates["mae"])},
        rule,
    )
    decided_at = as_of if as_of is not None else pd.Timestamp.now(tz="UTC").floor("s")
    decisions = _record_changes(lake, domain, decisions, measure, training_id, rule, run_id, decided_at)
    _leaderboard_with_live(lake, domain, measure, training_id, scores, rule, run_id, as_of)
    return {
        "measure": measure,
        "training_id": training_id,
        "days": days,
        "scored_points": int(scores["points"].sum()) if len(scores) else 0,
        "switches": [f"{d.horizon_min} min: {d.champion} -> {d.challenger}" for d in decisions if d.kind == "switch"],
        "drift": [
            f"{d.horizon_min} min: {d.champion} live MAE {d.champion_live_mae:.2f} vs backtest {d.backtest_mae:.2f}"
            for d in decisions
            if d.kind == "drift"
        ],
    }


def _leaderboard_with_live(
    lake: Lake,
    domain: Domain,
    measure: str,
    training_id: str,
    scores: pd.DataFrame,
    rule: ChampionRule,
    run_id: str,
    as_of: pd.Timestamp | None,
) -> None:
    """The training's leaderboard rows again, with each model's live errors over the rule's window beside its
    backtest errors, and the champion as it stands now."""
    if scores.empty:
        return
    days = sorted(scores.loc[scores["points"] > 0, "day"].unique())[-rule.window_days :]
    window = live.pooled(scores, days).rename(
        columns={
            "mae": "live_mae",
            "rmse": "live_rmse",
            "coverage_pct": "live_coverage_pct",
            "points": "live_points",
            "days": "live_days",
        }
    )
    now = current_candidates(lake, domain, measure, as_of)[["horizon_min", "model", "is_champion"]]
    now = now.rename(columns={"is_champion": "champion_now"})
    board = lake.read(MODEL_LEADERBOARD, filters=[("training_id", "=", training_id)]).drop(columns=LIVE_COLUMNS, errors="ignore")
    board = board.merge(window, on=["horizon_min", "model"], how="left").merge(now, on=["horizon_min", "model"], how="left")
    key = idempotency_key(
        f"{domain.name}_leaderboard_live",
        training_id,
        window.round(9).astype(str).values.tolist(),
        now.astype(str).values.tolist(),
    )
    lake.publish(MODEL_LEADERBOARD, board, {"training_id": [training_id]}, run_id, key, job=domain.scoring_dag)


def _record_changes(
    lake: Lake,
    domain: Domain,
    decisions: list[Decision],
    measure: str,
    training_id: str,
    rule: ChampionRule,
    run_id: str,
    decided_at: pd.Timestamp,
) -> list[Decision]:
    """Add the decisions to model_changes; the new ones (a decision already recorded for the same evidence window is
    kept once, with its first hour, and not acted on again: one retraining per drift, not one per hourly run)."""
    if not decisions:
        return []
    new = pd.DataFrame(
        [
            {
                **dataclasses.asdict(d),
                "domain": domain.name,
                "measure": measure,
                "training_id": training_id,
                "margin_pct": rule.margin_pct,
                "drift_factor": rule.drift_factor,
                "decided_at_utc": decided_at,
                "run_id": run_id,
            }
            for d in decisions
        ]
    )
    scope: list[tuple[str, str, object]] = [("domain", "=", domain.name), ("measure", "=", measure)]
    earlier = lake.read(MODEL_CHANGES, filters=scope) if lake.has(MODEL_CHANGES) else None
    columns = list(MODEL_CHANGES.key)
    if earlier is not None and len(earlier):
        known = set(map(tuple, earlier[columns].astype(str).to_numpy()))
        fresh = [d for d, k in zip(decisions, new[columns].astype(str).to_numpy()) if tuple(k) not in known]
        rows = pd.concat([earlier, new], ignore_index=True)
    else:
        fresh, rows = decisions, new
    if not fresh:
        return []
    rows = rows.drop_duplicates(columns, keep="first").reset_index(drop=True)
    key = idempotency_key(f"{domain.name}_changes", rows[list(MODEL_CHANGES.key)].astype(str).values.tolist())
    lake.publish(MODEL_CHANGES, rows, {"domain": [domain.name], "measure": [measure]}, run_id, key, job=domain.scoring_dag)
    return fresh
