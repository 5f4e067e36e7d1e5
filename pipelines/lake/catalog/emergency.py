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

SECTION = Section(
    "Emergency command",
    (EMERGENCY_INCIDENTS,),
    intro="Built from the clean `emergency_reports` of every channel (dispatch calls, sensor alarms, social posts, "
    "Tempe's overdose calls); each publish replaces the whole mart.",
)
