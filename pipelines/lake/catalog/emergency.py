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

SECTION = Section(
    "Emergency command",
    (EMERGENCY_INCIDENTS, EMERGENCY_RESOURCES, EMERGENCY_COVERAGE),
    intro="Built from the clean `emergency_reports` of every channel (dispatch calls, sensor alarms, social posts, "
    "Tempe's overdose calls); each publish replaces the whole mart.",
)
