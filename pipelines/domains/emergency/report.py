"""What a person reads after the emergency marts are built: how many incidents from which channels, the largest, and,
with the SYNTHETIC truth, the pairwise precision and recall; the call-volume surges and the early warnings."""

from __future__ import annotations

import pandas as pd

from pipelines.config import Settings
from pipelines.domains.emergency import fusion
from pipelines.forecasting.events import event_score
from pipelines.lake.catalog.emergency import (
    EMERGENCY_ANOMALIES,
    EMERGENCY_COVERAGE,
    EMERGENCY_INCIDENTS,
    EMERGENCY_RESOURCES,
    EMERGENCY_WARNINGS,
)
from pipelines.lake.storage import Lake


def results_text(settings: Settings, truth: pd.DataFrame | None = None) -> str:
    """The fused incidents as text; with the generator's reports (report_id, incident), their scores."""
    lake = Lake(settings)
    if not lake.has(EMERGENCY_INCIDENTS):
        return "No emergency mart is built yet."
    found = lake.read(EMERGENCY_INCIDENTS)
    lines = [
        f"Incidents fused from {int(found['reports'].sum()):,} reports: {len(found):,} "
        f"({int((found['reports'] > 1).sum()):,} from more than one report)",
        "By the channels that reported them:",
        found.groupby("channels").size().sort_values(ascending=False).rename("incidents").to_string(),
    ]
    if truth is not None:
        member = found.assign(report_id=found["report_ids"].str.split(",")).explode("report_id").set_index("report_id")
        known = member.loc[member.index.isin(truth["report_id"]), "incident_id"]
        precision, recall = fusion.pairwise_scores(known, truth.set_index("report_id")["incident"])
        lines.append(
            f"Against the SYNTHETIC truth ({truth['incident'].nunique():,} incidents and false alarms): pairwise precision "
            f"{precision:.3f}, recall {recall:.3f} (goal: both >= 0.95)"
        )
    biggest = found.sort_values(["reports", "first_report_utc"], ascending=[False, True]).head(5)
    lines += [
        "The most reported:",
        biggest[["incident_id", "incident_type", "first_report_utc", "channels", "report_ids"]].to_string(index=False),
    ]
    return "\n".join(lines + resource_lines(lake))


def resource_lines(lake: Lake) -> list[str]:
    """The nearest unit of each open incident and the coverage, when the fleet is in."""
    lines: list[str] = []
    if lake.has(EMERGENCY_RESOURCES):
        nearest = lake.read(EMERGENCY_RESOURCES)
        first = nearest[nearest["rank"] == 1].sort_values("eta_minutes", ascending=False)
        moment = nearest["as_of_utc"].max() if len(nearest) else "the fleet's latest ping"
        lines += [
            f"Open incidents at {moment}: {nearest['incident_id'].nunique()}; the nearest available unit of each:",
            first[["incident_id", "incident_type", "unit_id", "distance_m", "eta_minutes"]].round(1).to_string(index=False)
            if len(first)
            else "  none open",
        ]
    if lake.has(EMERGENCY_COVERAGE):
        cover = lake.read(EMERGENCY_COVERAGE)
        columns = ["unit_kind", "available_units", "minutes", "speed_kmh", "covered_share"]
        lines += ["Coverage (share of the city reached in time):", cover[columns].round(3).to_string(index=False)]
    return lines


def call_lines(settings: Settings, planted: pd.DataFrame | None = None) -> str:
    """The call-volume surges per line and detector (with the SYNTHETIC hotline's planted surges, recall and false
    alarms), the largest, and the early warnings."""
    lake = Lake(settings)
    if not lake.has(EMERGENCY_ANOMALIES):
        return "No call-volume mart is built yet."
    found = lake.read(EMERGENCY_ANOMALIES)
    threshold = float(found["threshold"].iloc[0]) if len(found) else float("nan")
    lines = [
        f"Call-volume surges (robust score >= {threshold:g} over the weekday x time-of-day baseline; IsolationForest beside it):",
        found.groupby(["line_id", "detector"]).size().rename("surges").to_string(),
    ]
    if planted is not None:
        robust = found[(found["line_id"] == "hotline-112") & (found["detector"] == "robust")]
        score = event_score(robust, planted)
        lines.append(
            f"The SYNTHETIC hotline's {score.events} planted surges: {score.events_found} found (recall {score.recall:.3f}), "
            f"{score.false_alarms} false alarms (goal: recall >= 0.9; make bench-surges for several seeds and thresholds)"
        )
    top = found[found["detector"] == "robust"].sort_values("peak_score", ascending=False).head(5)
    columns = ["line_id", "start_utc", "slots", "calls", "baseline_calls", "peak_score"]
    lines += ["The largest surges:", top[columns].to_string(index=False)]
    if lake.has(EMERGENCY_WARNINGS):
        warned = lake.read(EMERGENCY_WARNINGS).sort_values(["line_id", "target_ts_utc", "reason"])
        columns = [
            "line_id",
            "issued_utc",
            "target_ts_utc",
            "lead_time_min",
            "reason",
            "basis",
            "severity",
            "predicted_calls",
            "baseline_calls",
        ]
        lines += ["Early warnings from the call forecasts:", warned[columns].to_string(index=False) if len(warned) else "  none"]
    return "\n".join(lines)
