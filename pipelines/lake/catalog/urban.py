"""The urban-management marts: hotspots of city-management cases on the grid, disposal KPIs, recurring problems."""

from __future__ import annotations

from pipelines.lake.catalog.model import Column, Section, Table
from pipelines.lake.layout import Zone

_RUN = Column("run_id", "string", description="the run that published it")
_LOGIC = ("pipelines.domains.urban.classes", "pipelines.domains.urban.marts")
_CELL = Column("grid_cell", "string", description="cell of the city grid, `<size in degrees>:<row>:<col>` (about 100 m)")
_KIND = Column("kind", "string", description="`component` or `event`")
_CLASS = Column("class_code", "string", description="GB/T 30428.2 small class code")

URBAN_HOTSPOTS = Table(
    Zone.CURATED,
    "urban_hotspots",
    "urban",
    "Space-time hotspots of city-management cases: grid cells whose week stands out (Getis-Ord Gi*)",
    (
        Column("week_start", "date", description="Monday of the local week"),
        Column("hotspot_id", "string", description="`<week>/<peak cell>`"),
        Column("peak_cell", "string", description="the hotspot's cell with the most cases"),
        Column("cells", "int32", description="neighbouring hotspot cells joined into it"),
        Column("cases", "int32", description="cases in its cells that week"),
        Column("peak_cases", "int32", description="cases in the peak cell"),
        Column("peak_gi_z", "float", description="Gi* z-score of the peak cell over its 3 x 3 neighbourhood"),
        Column("latitude", "float", "deg", "mean WGS84 latitude of its cases"),
        Column("longitude", "float", "deg", "mean WGS84 longitude of its cases"),
        Column("district", "string", description="the community area most of its cases are in"),
        _RUN,
    ),
    grain="one row per week and hotspot",
    key=("week_start", "hotspot_id"),
    partition_by=(),
    cadence="1D",
    producer="urban_marts",
    inputs=("clean/urban_cases",),
    logic=(*_LOGIC, "pipelines.domains.urban.hotspots"),
    time_column=None,
    notes="Per week, every cell of the cases' bounding box counts (zeros too); Gi* over the cell and its eight "
    "neighbours; a cell is a hotspot at z >= `z_min` (3.29) with at least `min_cases` (5) cases of its own, and "
    "touching hotspot cells of a week are one hotspot. Planted hotspots recovered on SYNTHETIC cases: `make demo-urban`.",
)

URBAN_KPIS = Table(
    Zone.CURATED,
    "urban_kpis",
    "urban",
    "Disposal KPIs of city-management cases per department, class, community area and month",
    (
        Column("month", "date", description="first day of the local month the cases were reported in"),
        Column("department", "string", description="the department the case went to (else the service level's)"),
        _KIND,
        _CLASS,
        Column("class_name", "string", description="the small class's name (null: a code the classification lacks)"),
        Column("large_name", "string", description="its large class's name"),
        Column("district", "string", description="community area (`(outside every area)` when in none)"),
        Column("cases", "int", description="cases reported"),
        Column("closed", "int", description="of them closed"),
        Column("deadline_hours", "float", "h", "the class's disposal deadline from dispatch (service levels)"),
        Column("judged", "int", description="cases that can be judged: disposed, or past their deadline"),
        Column("on_time", "int", description="disposed within the deadline"),
        Column("on_time_rate", "float", description="on_time / judged (null when none can be judged yet)"),
        Column("median_register_hours", "float", "h", "report -> registered"),
        Column("median_dispatch_hours", "float", "h", "registered -> dispatched"),
        Column("median_dispose_hours", "float", "h", "dispatched -> disposed"),
        Column("median_check_hours", "float", "h", "disposed -> checked"),
        Column("median_close_hours", "float", "h", "checked -> closed"),
        Column("reopened", "int", description="cases a check sent back at least once"),
        Column("reopen_rate", "float", description="reopened / cases"),
        _RUN,
    ),
    grain="one row per local month, department, kind, class and community area",
    key=("month", "department", "kind", "class_code", "district"),
    partition_by=(),
    cadence="1D",
    producer="urban_marts",
    inputs=("clean/urban_cases",),
    logic=(*_LOGIC, "pipelines.domains.urban.kpis"),
    time_column=None,
    notes="A case is late when disposed after dispatch + its class's deadline, or not disposed when that moment has "
    "passed (at the run's `as_of`); disposed exactly at the deadline is on time. Deadlines and departments: "
    "`pipelines/domains/urban/service_levels.csv` (a city's own file via CITYLAKE_URBAN_SERVICE_LEVELS).",
)

URBAN_RECURRENCE = Table(
    Zone.CURATED,
    "urban_recurrence",
    "urban",
    "Problems that come back: a case of the same class in the same grid cell as one within N days before",
    (
        Column("case_id", "string", description="the case that repeats an earlier one"),
        _CELL,
        _KIND,
        _CLASS,
        Column("ts_utc", "timestamp", description="when it was reported"),
        Column("previous_case_id", "string", description="the earlier case of the same class and cell"),
        Column("days_since_previous", "float", "d", "days between the two reports"),
        Column("occurrence", "int32", description="the how-manieth time in a row the problem came up there (the first is 1)"),
        Column("district", "string", description="community area"),
        _RUN,
    ),
    grain="one row per case that repeats an earlier one",
    key=("case_id",),
    partition_by=(),
    cadence="1D",
    producer="urban_marts",
    inputs=("clean/urban_cases",),
    logic=(*_LOGIC, "pipelines.domains.urban.kpis"),
    time_column="ts_utc",
    notes="`within_days` (30) is a param; a gap longer than it starts the count again at 1.",
)

SECTION = Section(
    "Urban management",
    (URBAN_HOTSPOTS, URBAN_KPIS, URBAN_RECURRENCE),
    intro="Built from the clean `urban_cases` of every feed into it (the city-management system, the hotline); each "
    "publish replaces the whole mart.",
)
