"""What a person reads after the energy marts are built: load profile flags, anomalous water periods, the peak-shaving
plans, and how gas follows the weather."""

from __future__ import annotations

from pipelines.config import Settings
from pipelines.lake.catalog.energy import ENERGY_LOAD_PROFILES, ENERGY_LOAD_SHIFTING, ENERGY_UTILITY_LINKS, WATER_FLOW_ANOMALIES
from pipelines.lake.storage import Lake


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
