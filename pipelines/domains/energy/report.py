"""What a person reads after the energy marts are built: load profile flags, anomalous water periods, the peak-shaving
plans, and how gas follows the weather."""

from __future__ import annotations

import pandas as pd

from pipelines.config import Settings
from pipelines.domains.energy import load_forecasting
from pipelines.forecasting import loop
from pipelines.forecasting.report import live_table
from pipelines.lake.catalog.energy import (
    ENERGY_LOAD_FORECAST,
    ENERGY_LOAD_PROFILES,
    ENERGY_LOAD_SHIFTING,
    ENERGY_LOAD_SHIFTING_DAY_AHEAD,
    ENERGY_UTILITY_LINKS,
    WATER_FLOW_ANOMALIES,
)
from pipelines.lake.catalog.traffic import MODEL_LEADERBOARD
from pipelines.lake.storage import Lake

HORIZONS_SHOWN = (60, 720, 1440)


def forecast_lines(lake: Lake) -> list[str]:
    """Per load dataset: the latest training's backtest (MAE per model at 1, 12 and 24 h, champions marked), the live
    errors of the days scored, and tomorrow's plan."""
    if not lake.has(ENERGY_LOAD_FORECAST) or not lake.has(MODEL_LEADERBOARD):
        return []
    measures = lake.read(MODEL_LEADERBOARD, columns=["domain", "measure"], filters=[("domain", "=", "energy")])
    lines = []
    for measure in sorted(measures["measure"].unique()):
        latest = loop.current_candidates(lake, load_forecasting.LOOP, measure)
        shown = latest[latest["horizon_min"].isin(HORIZONS_SHOWN)]
        table = shown.assign(
            cell=shown["mae"].round(2).astype(str) + shown["is_champion"].map({True: " *", False: ""}),
            horizon=(shown["horizon_min"] // 60).astype(str) + " h",
        ).pivot(index="model", columns="horizon", values="cell")
        lines += [
            f"Day-ahead load forecasts, {measure} (backtest MAE in kW, * champion now: the live rule may have switched it; trained to {latest['train_until_utc'].iloc[0]:%Y-%m-%d %H:%M} UTC):",
            table[[f"{h // 60} h" for h in HORIZONS_SHOWN if f"{h // 60} h" in table.columns]].to_string(),
        ]
        scored = live_table(lake, "energy", measure, sorted(_scored_days(lake, measure)))
        scored = scored[scored["training_id"] == latest["training_id"].iloc[0]] if len(scored) else scored
        scored = scored[scored["horizon_h"].isin([h / 60 for h in HORIZONS_SHOWN])] if len(scored) else scored
        if len(scored):
            lines += ["  live, on the days that came:", scored.drop(columns="training_id").to_string(index=False)]
        lines.append("")
    if lake.has(ENERGY_LOAD_SHIFTING_DAY_AHEAD):
        plan = lake.read(ENERGY_LOAD_SHIFTING_DAY_AHEAD).drop_duplicates("local_date").sort_values("local_date")
        lines += [
            "Tomorrow's peak-shaving plan, from the champions' electricity forecasts:",
            plan[["local_date", "group_peak_before_kw", "group_peak_after_kw"]].round(1).to_string(index=False),
            "",
        ]
    return lines


def _scored_days(lake: Lake, measure: str) -> set:
    from pipelines.lake.catalog.forecasting import MODEL_LIVE_SCORES

    if not lake.has(MODEL_LIVE_SCORES):
        return set()
    scores = lake.read(MODEL_LIVE_SCORES, columns=["domain", "measure", "day"], filters=[("measure", "=", measure)])
    return set(pd.Series(scores["day"]).unique())


def results_text(settings: Settings) -> str:
    """The energy marts' figures as text; a mart not built yet says so."""
    lake = Lake(settings)
    lines: list[str] = []
    if lake.has(ENERGY_LOAD_PROFILES):
        days = lake.read(ENERGY_LOAD_PROFILES)
        flagged = days[~days["usable"]]
        lines += [
            f"Load profiles: {len(days):,} meter-days; {len(flagged)} kept out of learning (meter copies or gaps):",
            flagged[["meter_id", "local_date", "quality", "copied_readings", "missing_readings"]].to_string(index=False)
            if len(flagged)
            else "  none",
            "",
        ]
    lines += forecast_lines(lake)
    if lake.has(WATER_FLOW_ANOMALIES):
        periods = lake.read(WATER_FLOW_ANOMALIES).sort_values(["meter_id", "detector", "start_utc"])
        lines += [
            "Anomalous periods in the water meters' flow (robust detector; IsolationForest beside it):",
            periods[periods["detector"] == "robust"][
                ["meter_id", "start_utc", "end_utc", "hours", "kind", "lowest", "highest"]
            ].to_string(index=False),
            f"  IsolationForest: {int((periods['detector'] == 'isolation_forest').sum())} periods",
            "",
        ]
    if lake.has(ENERGY_LOAD_SHIFTING):
        plan = lake.read(
            ENERGY_LOAD_SHIFTING, columns=["local_date", "building_id", "group_peak_before_kw", "group_peak_after_kw"]
        )
        peaks = plan.drop_duplicates("local_date").sort_values("local_date")
        peaks = peaks.assign(shaved_pct=(100 * (1 - peaks["group_peak_after_kw"] / peaks["group_peak_before_kw"])).round(1))
        lines += [
            f"Peak shaving by shifting load ({plan['building_id'].nunique()} buildings, flexible share moved 06:00-22:00):",
            peaks[["local_date", "group_peak_before_kw", "group_peak_after_kw", "shaved_pct"]].round(1).to_string(index=False),
            "",
        ]
    if lake.has(ENERGY_UTILITY_LINKS):
        found = lake.read(ENERGY_UTILITY_LINKS)
        degree = found[found["kind"] == "degree_days"]
        for row in degree.itertuples():
            lines.append(
                f"Gas against heating degree-days ({row.scope_id}, {row.n} bills): r {row.r:.2f} [{row.ci_low:.2f}, {row.ci_high:.2f}],"
                f" {row.slope:.1f} kWh per degree-day over a base of {row.intercept:.1f} kWh a day"
            )
        strongest = found[(found["scope"] == "building") & (found["kind"] == "best_lag")]
        if len(strongest):
            top = strongest.assign(strength=strongest["r"].abs()).sort_values("strength", ascending=False).head(5)
            lines += [
                "Pairs of a building's utilities that move together most:",
                top[["scope_id", "grain", "series_a", "series_b", "lag_steps", "r"]].round(3).to_string(index=False),
            ]
        lines.append("")
    return "\n".join(lines) if lines else "No energy mart is built yet."
