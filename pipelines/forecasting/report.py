"""What a person reads after forecasts met their readings: live errors beside the backtest's, and the champion rule's
decisions, for one domain and measure over a period (a replay, or the last days)."""

from __future__ import annotations

import pandas as pd

from pipelines.forecasting import live
from pipelines.lake.catalog.forecasting import MODEL_CHANGES, MODEL_LIVE_SCORES
from pipelines.lake.catalog.traffic import MODEL_LEADERBOARD
from pipelines.lake.storage import Lake


def live_table(lake: Lake, domain: str, measure: str, days: list) -> pd.DataFrame:
    """Per training, horizon and model over `days` (target days): live MAE and interval coverage with their points,
    beside the backtest MAE; `champion` marks the models that were champions when they forecast."""
    if not lake.has(MODEL_LIVE_SCORES):
        return pd.DataFrame()
    scores = lake.read(MODEL_LIVE_SCORES, filters=[("domain", "=", domain), ("measure", "=", measure)])
    scores = scores[scores["day"].isin(days)]
    if scores.empty:
        return pd.DataFrame()
    rows = []
    for training_id, group in scores.groupby("training_id", sort=True):
        window = live.pooled(group, sorted(group["day"].unique()))
        champions = group.groupby(["model", "horizon_min"])["is_champion"].any()
        rows.append(
            window.assign(
                training_id=training_id,
                champion=[bool(champions.get((m, h), False)) for m, h in zip(window["model"], window["horizon_min"])],
            )
        )
    table = pd.concat(rows, ignore_index=True)
    board = lake.read(
        MODEL_LEADERBOARD, columns=["training_id", "horizon_min", "model", "mae"], filters=[("measure", "=", measure)]
    )
    table = table.merge(board.rename(columns={"mae": "backtest_mae"}), on=["training_id", "horizon_min", "model"], how="left")
    table = table.assign(
        horizon_h=table["horizon_min"] / 60, live_mae=table["mae"].round(2), backtest_mae=table["backtest_mae"].round(2)
    )
    columns = ["training_id", "horizon_h", "model", "champion", "live_mae", "backtest_mae", "coverage_pct", "points"]
    return (
        table.assign(coverage_pct=table["coverage_pct"].round(1))[columns]
        .sort_values(["training_id", "horizon_h", "live_mae"])
        .reset_index(drop=True)
    )


def changes_table(lake: Lake, domain: str, measure: str, since: pd.Timestamp) -> pd.DataFrame:
    """The switches and drift warnings decided from `since` on, oldest first, with their evidence."""
    if not lake.has(MODEL_CHANGES):
        return pd.DataFrame()
    changes = lake.read(MODEL_CHANGES, filters=[("domain", "=", domain), ("measure", "=", measure)])
    changes = changes[changes["decided_at_utc"] >= since].sort_values(["decided_at_utc", "horizon_min", "kind"])
    columns = [
        "decided_at_utc",
        "kind",
        "horizon_min",
        "champion",
        "challenger",
        "champion_live_mae",
        "challenger_live_mae",
        "backtest_mae",
        "champion_points",
    ]
    errors = ["champion_live_mae", "challenger_live_mae", "backtest_mae"]
    return changes[columns].assign(**{c: changes[c].round(2) for c in errors}).reset_index(drop=True)


def replay_text(lake: Lake, domain: str, measure: str, since: pd.Timestamp, days: list) -> str:
    """Both tables as text, saying so when a table is empty."""
    scored = live_table(lake, domain, measure, days)
    changes = changes_table(lake, domain, measure, since)
    return "\n".join(
        [
            f"Live errors of every candidate on the days replayed ({domain}, {measure}), beside the backtest's:",
            scored.to_string(index=False) if len(scored) else "  no forecast met its reading yet",
            "",
            "The champion rule's decisions (switch: a challenger took over; drift: retraining was triggered):",
            changes.to_string(index=False) if len(changes) else "  none: the champions held and did not drift",
        ]
    )
