"""Charts of a training run: the leaderboard, the factors, forecasts against what happened."""

from __future__ import annotations

from typing import BinaryIO

import pandas as pd

from pipelines.domains.traffic.measures import Measure


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, out: BinaryIO) -> bool:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(out, format="png", dpi=110)
    plt.close(fig)
    return True


def leaderboard_chart(board: pd.DataFrame, measure: Measure, out: BinaryIO) -> bool:
    """MAE of every model at every horizon, grouped bars."""
    if board.empty:
        return False
    plt = _pyplot()
    table = board.pivot(index="horizon_min", columns="model", values="mae")
    fig, ax = plt.subplots(figsize=(9, 4.5))
    table.plot.bar(ax=ax, rot=0, width=0.8)
    ax.set_xlabel("horizon (minutes)")
    ax.set_ylabel(f"masked MAE ({measure.unit}), last 20 % of the data")
    ax.set_title(f"Traffic forecasters of {measure.labelled()}: rolling-origin backtest")
    ax.legend(fontsize=8, ncols=3)
    return _save(fig, out)


def factors_chart(factors: pd.DataFrame, measure: Measure, out: BinaryIO) -> bool:
    """Permutation importance of each factor per horizon (one model per horizon: see backtest.explained_factors)."""
    if factors.empty:
        return False
    plt = _pyplot()
    table = factors.pivot(index="factor", columns="horizon_min", values="mae_increase")
    table = table.sort_values(table.columns.max())
    fig, ax = plt.subplots(figsize=(8, 4.5))
    table.plot.barh(ax=ax)
    ax.set_xlabel(f"MAE increase when shuffled ({measure.unit})")
    ax.set_title(f"What moves the forecasts of {measure.labelled()} (permutation importance)")
    ax.legend(title="horizon (min)", fontsize=8)
    return _save(fig, out)


def forecast_chart(backtest: pd.DataFrame, measure: Measure, out: BinaryIO, sensors: int = 3) -> bool:
    """For the sensors whose measure varied most: what happened and each horizon's champion forecast, by target time."""
    if backtest.empty:
        return False
    plt = _pyplot()
    varied = backtest.groupby("sensor_id")["actual"].std().sort_values(ascending=False).index[:sensors]
    fig, axes = plt.subplots(len(varied), 1, figsize=(10, 2.6 * len(varied)), sharex=True, squeeze=False)
    for ax, sensor in zip(axes[:, 0], varied):
        rows = backtest[backtest["sensor_id"] == sensor]
        actual = rows.drop_duplicates("target_ts_utc").sort_values("target_ts_utc")
        ax.plot(actual["target_ts_utc"], actual["actual"], color="black", lw=1.2, label="actual")
        for (minutes, model), part in rows.groupby(["horizon_min", "model"]):
            part = part.sort_values("target_ts_utc")
            ax.plot(part["target_ts_utc"], part["predicted"], lw=0.9, label=f"{minutes} min ahead ({model})")
        ax.set_ylabel(measure.labelled())
        ax.set_xlabel("target time (UTC)")
        ax.set_title(f"sensor {sensor}", fontsize=9)
    axes[0, 0].legend(fontsize=7, ncols=2)
    return _save(fig, out)


def summary_text(
    measure: Measure, board: pd.DataFrame, factors: pd.DataFrame, alerts: pd.DataFrame, forecast_rows: int, plots: list[str]
) -> str:
    """What an operator wants to read after a traffic run: the leaderboard, the factors, the alerts."""
    lines = [
        f"Model leaderboard of {measure.labelled()} (rolling-origin backtest on the last 20 % of the readings; "
        f"masked metrics, {measure.unit}):",
        f"  {'horizon':>7}  {'model':<19} {'MAE':>6} {'RMSE':>6} {'MAPE %':>7}  gain vs best baseline",
    ]
    for row in board.sort_values(["horizon_min", "rank"]).itertuples():
        lines.append(
            f"  {row.horizon_min:>5} m  {row.model:<19} {row.mae:6.2f} {row.rmse:6.2f} {row.mape_pct:7.2f}  "
            f"{row.gain_vs_best_baseline_pct:+6.1f} %{'  <- champion' if row.is_champion else ''}"
        )
    if not factors.empty:
        lines.append(
            f"\nWhat moves the forecasts (permutation importance of the best learned model, MAE increase in {measure.unit}):"
        )
        for minutes, rows in factors.groupby("horizon_min"):
            top = rows.sort_values("rank").head(3)
            lines.append(
                f"  {minutes:>3} min ({rows['model'].iloc[0]}): "
                + ", ".join(f"{r.factor} {r.mae_increase:.2f}" for r in top.itertuples())
            )
    by_severity = alerts["severity"].value_counts().to_dict() if not alerts.empty else {}
    lines.append(
        f"\nForecasts: {forecast_rows:,} rows. Congestion alerts: {len(alerts):,} "
        f"({by_severity.get('severe', 0):,} severe, {by_severity.get('warning', 0):,} warnings)"
    )
    if not alerts.empty:
        worst = alerts[alerts["severity"] == "severe"]["sensor_id"].value_counts().head(5)
        if len(worst):
            lines.append("  sensors with the most severe alerts: " + ", ".join(f"{s} ({n})" for s, n in worst.items()))
    if plots:
        lines.append("\nCharts of the training run:\n" + "\n".join(f"  {p}" for p in plots))
    return "\n".join(lines)
