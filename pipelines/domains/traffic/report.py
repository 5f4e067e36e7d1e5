"""Charts of a training run: the leaderboard, the factors, forecasts against what happened."""

from __future__ import annotations

from typing import BinaryIO

import pandas as pd


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def leaderboard_chart(board: pd.DataFrame, out: BinaryIO) -> bool:
    """MAE of every model at every horizon, grouped bars; the champion's bar is outlined."""
    if board.empty:
        return False
    plt = _pyplot()
    table = board.pivot(index="horizon_min", columns="model", values="mae")
    fig, ax = plt.subplots(figsize=(9, 4.5))
    table.plot.bar(ax=ax, rot=0, width=0.8)
    ax.set_xlabel("horizon (minutes)")
    ax.set_ylabel("masked MAE (km/h), last 20 % of the data")
    ax.set_title("Traffic forecasters: rolling-origin backtest")
    ax.legend(fontsize=8, ncols=3)
    fig.tight_layout()
    fig.savefig(out, format="png", dpi=110)
    plt.close(fig)
    return True


def factors_chart(factors: pd.DataFrame, out: BinaryIO) -> bool:
    """Permutation importance of each factor per horizon (MAE increase when that factor is shuffled)."""
    if factors.empty:
        return False
    plt = _pyplot()
    best = factors.sort_values("mae_increase_kmh").drop_duplicates(["horizon_min", "factor"], keep="last")
    table = best.pivot(index="factor", columns="horizon_min", values="mae_increase_kmh").sort_values(best["horizon_min"].max())
    fig, ax = plt.subplots(figsize=(8, 4.5))
    table.plot.barh(ax=ax)
    ax.set_xlabel("MAE increase when shuffled (km/h)")
    ax.set_title("What moves the traffic forecasts (permutation importance)")
    ax.legend(title="horizon (min)", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, format="png", dpi=110)
    plt.close(fig)
    return True


def forecast_chart(backtest: pd.DataFrame, out: BinaryIO, sensors: int = 3) -> bool:
    """For the sensors whose speed varied most: actual speed and each horizon's champion forecast, by target time."""
    if backtest.empty:
        return False
    plt = _pyplot()
    varied = backtest.groupby("sensor_id")["actual_speed_kmh"].std().sort_values(ascending=False).index[:sensors]
    fig, axes = plt.subplots(len(varied), 1, figsize=(10, 2.6 * len(varied)), sharex=True, squeeze=False)
    for ax, sensor in zip(axes[:, 0], varied):
        rows = backtest[backtest["sensor_id"] == sensor]
        actual = rows.drop_duplicates("target_ts_utc").sort_values("target_ts_utc")
        ax.plot(actual["target_ts_utc"], actual["actual_speed_kmh"], color="black", lw=1.2, label="actual")
        for (minutes, model), part in rows.groupby(["horizon_min", "model"]):
            part = part.sort_values("target_ts_utc")
            ax.plot(part["target_ts_utc"], part["predicted_speed_kmh"], lw=0.9, label=f"{minutes} min ahead ({model})")
        ax.set_ylabel("km/h")
        ax.set_xlabel("target time (UTC)")
        ax.set_title(f"sensor {sensor}", fontsize=9)
    axes[0, 0].legend(fontsize=7, ncols=2)
    fig.tight_layout()
    fig.savefig(out, format="png", dpi=110)
    plt.close(fig)
    return True
