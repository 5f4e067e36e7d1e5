"""The emergency-command marts: incidents fused from the reports of every channel."""

from __future__ import annotations

from pipelines.lake.catalog.model import Column, Section, Table
from pipelines.lake.layout import Zone

EMERGENCY_INCIDENTS = Table(
    Zone.CURATED,
    "emergency_incidents",
    "emergency",
    "Incidents fused from calls, sensor alarms and social posts about them, each with the ids of its reports",
    (
        Column("incident_id", "string", description="`INC-` + the id of its first report"),
        Column("incident_type", "string", description="fire, medical, traffic, gas, flood; `any` when no report says"),
        Column("first_report_utc", "timestamp", description="its first report"),
        Column("last_report_utc", "timestamp", description="its last report"),
        Column("latitude", "float", "deg", "mean WGS84 latitude of its reports"),
        Column("longitude", "float", "deg", "mean WGS84 longitude of its reports"),
        Column("reports", "int32", description="reports fused into it"),
        Column("channels", "string", description="the channels that reported it, comma-separated"),
        Column("report_ids", "string", description="the ids of its reports, comma-separated, in time order"),
        Column("max_severity", "int", description="the highest severity a report gave"),
        Column("timed_to", "string", description="the precision of its first report's time (`day`: never fused)"),
        Column("run_id", "string", description="the run that published it"),
    ),
    grain="one row per incident",
    key=("incident_id",),
    partition_by=(),
    cadence="1D",
    producer="emergency_marts",
    inputs=("clean/emergency_reports",),
    logic=("pipelines.domains.emergency.fusion", "pipelines.domains.emergency.incidents"),
    time_column="first_report_utc",
    notes="Two reports are one incident at most `max_distance_m` (500) apart, at most `window_minutes` (20) apart "
    "and of compatible types (`pipelines/domains/emergency/incident_types.csv`); a report joins a group only within "
    "the window of the group's first report. Pairwise precision and recall on SYNTHETIC reports with known truth: "
    "`make bench-fusion`.",
)

_RESOURCE_NOTES = (
    "Great-circle distances (BallTree, haversine) to the units' latest positions at the run's `as_of` (default: the "
    "fleet's latest ping); travel time = distance x `detour` (1.3) / `speed_kmh` (40): an estimate, not routing. Unit "
    "kind per incident type: fire, gas, flood -> fire; medical -> ambulance; traffic and unknown -> police."
)

EMERGENCY_RESOURCES = Table(
    Zone.CURATED,
    "emergency_resources",
    "emergency",
    "For each open incident, the nearest available units of the kind it needs, with distance and travel time",
    (
        Column("incident_id", "string", description="the incident (`emergency_incidents`)"),
        Column("incident_type", "string", description="its type"),
        Column("unit_kind", "string", description="ambulance, fire or police"),
        Column("rank", "int32", description="1: the nearest"),
        Column("unit_id", "string", description="the unit"),
        Column("distance_m", "float", "m", "great-circle distance"),
        Column("eta_minutes", "float", "min", "estimated travel time"),
        Column("as_of_utc", "timestamp", description="the moment the fleet and the open incidents were taken at"),
        Column("run_id", "string", description="the run that published it"),
    ),
    grain="one row per open incident, unit kind and rank",
    key=("incident_id", "unit_kind", "rank"),
    partition_by=(),
    cadence="1h",
    producer="emergency_marts",
    inputs=("curated/emergency_incidents", "clean/emergency_units"),
    logic=("pipelines.domains.emergency.resources", "pipelines.domains.emergency.incidents"),
    time_column="as_of_utc",
    notes=f"{_RESOURCE_NOTES} An incident is open when its last report is at most `open_hours` (2) before `as_of`.",
)

EMERGENCY_COVERAGE = Table(
    Zone.CURATED,
    "emergency_coverage",
    "emergency",
    "How much of the city each kind of available unit reaches within N minutes",
    (
        Column("unit_kind", "string", description="ambulance, fire or police"),
        Column("available_units", "int32", description="units available at `as_of`"),
        Column("minutes", "float", "min", "the time budget"),
        Column("speed_kmh", "float", "km/h", "the speed assumed"),
        Column("cells", "int32", description="grid cells (centres every 250 m) over the incidents' extent"),
        Column("covered_share", "float", description="share of the cells whose nearest available unit is within the budget"),
        Column("as_of_utc", "timestamp", description="the moment the fleet was taken at"),
        Column("run_id", "string", description="the run that published it"),
    ),
    grain="one row per unit kind",
    key=("unit_kind",),
    partition_by=(),
    cadence="1h",
    producer="emergency_marts",
    inputs=("clean/emergency_units", "curated/emergency_incidents"),
    logic=("pipelines.domains.emergency.resources", "pipelines.domains.emergency.incidents"),
    time_column="as_of_utc",
    notes=_RESOURCE_NOTES,
)

EMERGENCY_ANOMALIES = Table(
    Zone.CURATED,
    "emergency_anomalies",
    "emergency",
    "Surges in each emergency line's call volumes against its seasonal baseline, by a robust score and by IsolationForest",
    (
        Column("line_id", "string", description="the line"),
        Column("detector", "string", description="`robust` (the score at the threshold) or `isolation_forest`"),
        Column("start_utc", "timestamp", description="the start of the surge's first window"),
        Column("end_utc", "timestamp", description="the end of its last slot"),
        Column("slots", "int32", description="slots from start to end"),
        Column("calls", "float", description="calls in the surge"),
        Column("baseline_calls", "float", description="calls its slots' baselines expected"),
        Column("excess_calls", "float", description="calls over the baseline"),
        Column("peak_calls", "float", description="the most calls in one slot"),
        Column("peak_score", "float", description="the highest robust score (robust standard deviations over the baseline)"),
        Column("threshold", "float", description="the score threshold of the run (a DAG param)"),
        Column("run_id", "string", description="the run that published it"),
    ),
    grain="one row per line, detector and surge",
    key=("line_id", "detector", "start_utc"),
    partition_by=(),
    cadence="5min",
    producer="emergency_call_marts",
    inputs=("clean/emergency_call_volumes",),
    logic=("pipelines.domains.emergency.surges", "pipelines.domains.emergency.call_marts", "pipelines.forecasting.events"),
    time_column="start_utc",
    notes="Baseline: the median of the same weekday and local time of day over the previous `weeks` (4) weeks; score "
    "over the last `window_slots` (3) slots, in robust standard deviations (at least the Poisson noise); a surge has "
    "`min_slots` (2) slots at `threshold` (4) or more. All are params of the `emergency_call_marts` DAG. Recall and "
    "false alarms on SYNTHETIC planted surges: `make bench-surges`.",
)

EMERGENCY_CALL_FORECAST = Table(
    Zone.CURATED,
    "emergency_call_forecast",
    "emergency",
    "Every candidate model's forecast of each emergency line's calls in the hours ahead, with its 90 % interval",
    (
        Column("line_id", "string", description="the line"),
        Column("series", "string", description="the line (the forecasting component's series name)"),
        Column("origin_date", "date", description="the local day of the origin hour"),
        Column("origin_ts_utc", "timestamp", description="the last counted hour the forecast knew (issued when it ended)"),
        Column("target_ts_utc", "timestamp", description="origin + horizon: the hour forecast"),
        Column("horizon_min", "int32", "min", "how far ahead: 60 to 720 minutes"),
        Column("model", "string", description="`same_hour_last_week`, `weekday_hour_median`, `seasonal_level`"),
        Column("predicted", "float", "calls/h", "the forecast calls of the hour"),
        Column("lower", "float", "calls/h", "lower end of the 90 % prediction interval (at least 0)"),
        Column("upper", "float", "calls/h", "upper end of the 90 % prediction interval"),
        Column("is_champion", "bool", description="the horizon's champion when the forecast was made"),
        Column("training_id", "string", description="the training run whose model made it"),
    ),
    grain="one row per line, origin, horizon and model",
    key=("line_id", "origin_ts_utc", "horizon_min", "model"),
    partition_by=("line_id", "origin_date"),
    cadence="1h",
    producer="emergency_calls_forecast_scoring",
    inputs=("clean/emergency_call_volumes", "curated/model_leaderboard"),
    logic=(
        "pipelines.domains.emergency.call_forecast",
        "pipelines.domains.emergency.call_forecasting",
        "pipelines.forecasting.jobs",
        "pipelines.forecasting.backtest",
    ),
    time_column="target_ts_utc",
    notes="An hour counts only when every slot of it was counted. The training's models were backtested "
    "(`model_leaderboard`, domain `emergency`, measure `calls:<line>`) and are scored live against the hours that come "
    "(`model_live_scores`), the champion rule switching champions.",
)

EMERGENCY_WARNINGS = Table(
    Zone.CURATED,
    "emergency_warnings",
    "emergency",
    "Early warnings from the champions' call forecasts: a surge coming, or an hour at the line's capacity",
    (
        Column("line_id", "string", description="the line"),
        Column("origin_date", "date", description="the local day of the origin hour"),
        Column("origin_ts_utc", "timestamp", description="the forecast's origin hour"),
        Column("issued_utc", "timestamp", description="when the warning was issued: the end of the origin hour"),
        Column("target_ts_utc", "timestamp", description="the hour warned of"),
        Column("lead_time_min", "float", "min", "from the issue to the start of the hour warned of"),
        Column(
            "reason", "string", description="`surge` (score at the threshold) or `over_capacity` (calls at the line's capacity)"
        ),
        Column("basis", "string", description="`point`: the forecast reaches the limit; `interval`: only its 90 % upper end"),
        Column("severity", "string", description="elevated, high or severe"),
        Column("predicted_calls", "float", "calls/h", "the champion's forecast"),
        Column("upper_calls", "float", "calls/h", "the upper end of its 90 % interval"),
        Column("baseline_calls", "float", "calls/h", "the hour's seasonal baseline"),
        Column("capacity_calls", "float", "calls/h", "the line's capacity (null: none declared)"),
        Column("score", "float", description="the forecast's robust score over the baseline"),
        Column("model", "string", description="the champion that forecast it"),
        Column("training_id", "string", description="its training run"),
        Column("run_id", "string", description="the run that published it"),
    ),
    grain="one row per line, origin, hour warned of and reason",
    key=("line_id", "origin_ts_utc", "target_ts_utc", "reason"),
    partition_by=("line_id", "origin_date"),
    cadence="1h",
    producer="emergency_calls_forecast_scoring",
    inputs=("curated/emergency_call_forecast",),
    logic=("pipelines.domains.emergency.call_forecast", "pipelines.domains.emergency.call_forecasting"),
    time_column="target_ts_utc",
    notes="The threshold (4) and capacities (`pipelines/domains/emergency/lines.csv`, or CITYLAKE_EMERGENCY_LINES) are "
    "params of the scoring DAG's `forecast` param. Severity: a surge's score over the threshold from 1x elevated, "
    "1.5x high, 2.5x severe; calls over capacity from 1x elevated, 1.15x high, 1.3x severe.",
)

SECTION = Section(
    "Emergency command",
    (
        EMERGENCY_INCIDENTS,
        EMERGENCY_RESOURCES,
        EMERGENCY_COVERAGE,
        EMERGENCY_ANOMALIES,
        EMERGENCY_CALL_FORECAST,
        EMERGENCY_WARNINGS,
    ),
    intro="Incidents, resources and coverage are built from the clean `emergency_reports` of every channel (dispatch "
    "calls, sensor alarms, social posts, Tempe's overdose calls) and `emergency_units`, each publish replacing the "
    "whole mart; anomalies, forecasts and warnings from `emergency_call_volumes` (the city hotline, a bank's call "
    "centre).",
)
