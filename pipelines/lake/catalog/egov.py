"""The e-government mart: the city's indicators, computed from the other marts, each row with its definition, target,
traffic light and lineage."""

from __future__ import annotations

from pipelines.lake.catalog.model import Column, Section, Table
from pipelines.lake.layout import Zone

INDICATOR_SOURCES = (  # the marts the indicators are computed from (pipelines/domains/egov/indicators.py declares which)
    "curated/air_aqi_daily",
    "curated/traffic_readings_clean",
    "curated/model_live_scores",
    "curated/crime_hotspots",
    "curated/urban_kpis",
    "curated/emergency_incidents",
    "curated/emergency_warnings",
    "curated/energy_load_shifting",
    "curated/health_testing_daily",
    "curated/health_signals",
)

CITY_INDICATORS = Table(
    Zone.CURATED,
    "city_indicators",
    "egov",
    "The city's indicators by day, week and month, each with its definition, target, traffic light and lineage",
    (
        Column("indicator", "string", description="the indicator's id (pipelines/domains/egov/indicators.py)"),
        Column("name", "string", description="its name, for people"),
        Column("grain", "string", description="day, week (ISO), month, quarter, year or pandemic_week"),
        Column("period", "string", description="`2017-02-03`, `2017-W05`, `2017-02`, `2019-Q3`, `2019`, `pandemic days 7-13`"),
        Column("period_start", "date", description="its first day (null: a time-shifted source has no calendar)"),
        Column("area", "string", description="`city`, a district, `network` or the measure it is computed for"),
        Column("value", "float", description="the figure (null: nothing to compute it from)"),
        Column("unit", "string", description="its unit"),
        Column("previous_value", "float", description="the figure of the period before (same grain and area)"),
        Column("change", "float", description="value - previous_value"),
        Column("complete", "bool", description="the source's data reaches the period's last day"),
        Column("is_latest", "bool", description="the latest complete period of its indicator, grain and area"),
        Column(
            "headline",
            "bool",
            description="the row a summary shows (the brief, the dashboard): its headline grain, the city (else its one "
            "area), the latest complete period (else the latest there is); one per indicator",
        ),
        Column("definition", "string", description="what is measured, and how"),
        Column("better", "string", description="`higher` or `lower` is better; empty: a figure the city watches"),
        Column("target", "float", description="green at or better than this (the city's targets file; null: none)"),
        Column("alert", "float", description="red worse than this"),
        Column("target_basis", "string", description="where the target comes from"),
        Column("light", "string", description="green, amber, red, `no target` or `no value`"),
        Column("freshness", "string", description="`current`, `stale` (its source is late) or `not published`"),
        Column("stale_reason", "string", description="why it is stale or empty: the source, when it was last published"),
        Column("source", "string", description="the mart it is computed from"),
        Column("source_version", "int", description="the Delta version of that mart it was computed from"),
        Column("source_published_utc", "timestamp", description="when that version was published"),
        Column("code_version", "string", description="the package version and git commit that computed it"),
        Column("logic_version", "string", description="the version of the indicators' code and this schema"),
        Column("computed_utc", "timestamp", description="as of when it was computed (staleness is judged at this instant)"),
        Column("run_id", "string", description="the run that published it"),
    ),
    grain="one row per indicator, grain, period and area",
    key=("indicator", "grain", "period", "area"),
    partition_by=(),
    cadence="1D",
    producer="egov_city_indicators",
    inputs=INDICATOR_SOURCES,
    logic=("pipelines.domains.egov.indicators", "pipelines.domains.egov.periods", "pipelines.domains.egov.marts"),
    time_column=None,
    notes="Each indicator is computed from one mart, read at the version named in `source_version`: reading that "
    "version (`delta_scan` or `DeltaTable(..., version=...)`) and applying the definition gives the value again. A "
    "source later than its expected cadence (its declaration's, plus the `grace_hours` param) marks every row of its "
    "indicators `stale`, and the brief shows them as such, not as current. An indicator whose source is not "
    "published has one row, with no value and `not published`. Targets are policy: `targets.csv`, or the file "
    "CITYLAKE_EGOV_TARGETS names.",
)

SECTION = Section(
    "E-government",
    (CITY_INDICATORS,),
    intro="Indicators for the city's decisions, computed from the other marts; the weekly brief (HTML and PDF) and the "
    "open-data export are made from this mart (docs/egov.md).",
)
