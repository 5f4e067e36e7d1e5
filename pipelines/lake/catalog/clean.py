"""The canonical datasets every feed is standardized into (the clean zone): names, types, units, keys, meaning.

A feed's YAML maps its source columns onto one of these; units declared in the YAML are converted to the
unit named here. docs/schemas.md is generated from these declarations (`citylake docs`).
"""

from __future__ import annotations

from dataclasses import replace

from pipelines.lake.catalog.model import Column, Table
from pipelines.lake.layout import Zone

# The engine that turns a delivered file into clean rows: a change to any of it reprocesses every feed's files
# (each file's key also holds the feed's YAML and its suite). The onboarding tools beside it (sources.check,
# sources.draft, sources.registry) decide no row's content and are left out.
CLEAN_LOGIC = (
    "pipelines.sources.spec",
    "pipelines.sources.readers",
    "pipelines.sources.standardize",
    "pipelines.sources.streaming",
    "pipelines.sources.context",
    "pipelines.cleanse",
    "pipelines.validate",
    "pipelines.flows.clean",
)

LINEAGE = (
    Column("source_file", "string", description="the delivered file the row came from"),
    Column("source_line", "int", description="its line (or record number) in that file"),
)
GEO = (
    Column("latitude", "float", "deg", "WGS84 latitude"),
    Column("longitude", "float", "deg", "WGS84 longitude"),
    Column("district", "string", description="district polygon the point falls in (null outside every district)"),
    Column(
        "outside_districts",
        "bool",
        description="true: inside the city but in no district polygon (district is null); null: the feed has no districts",
    ),
    Column("grid_cell", "string", description="cell of the city grid: '<size in degrees>:<row>:<col>'"),
)
TS = Column("ts_utc", "timestamp", description="when it happened / the start of the measured interval, UTC")
PRECISION = Column(
    "ts_precision",
    "string",
    description="how precise ts_utc is, as delivered: day (a date alone: ts_utc is the local day's start), hour, minute or second",
)

_DECLARED: tuple[Table, ...] = (
    Table(
        Zone.CLEAN,
        "air_quality_hourly",
        "environment",
        "Hourly air quality and weather per monitoring station",
        (
            Column("station", "string", description="monitoring station"),
            TS,
            Column("local_date", "date", description="local civil date of the hour"),
            Column("local_hour", "int8", description="local civil hour (0-23)"),
            Column("pm25_ug_m3", "float", "ug/m3", "PM2.5, 1-hour mean concentration; null = gap"),
            Column("pm10_ug_m3", "float", "ug/m3", "PM10, 1-hour mean concentration; null = gap"),
            Column("so2_ug_m3", "float", "ug/m3", "SO2, 1-hour mean concentration; null = gap"),
            Column("no2_ug_m3", "float", "ug/m3", "NO2, 1-hour mean concentration; null = gap"),
            Column("co_mg_m3", "float", "mg/m3", "CO, 1-hour mean concentration (mg, not ug); null = gap"),
            Column("o3_ug_m3", "float", "ug/m3", "O3, 1-hour mean concentration; null = gap"),
            Column("temp_c", "float", "C", "air temperature"),
            Column("pres_hpa", "float", "hPa", "air pressure"),
            Column("dewp_c", "float", "C", "dew point"),
            Column("rain_mm", "float", "mm", "precipitation in the hour"),
            Column("wind_dir", "string", description="16-point compass"),
            Column("wind_speed_m_s", "float", "m/s", "wind speed"),
            Column("pollutants_missing", "int8", description="how many of the six pollutants are null (gap flag)"),
            *LINEAGE,
        ),
        key=("station", "ts_utc"),
        partition_by=("station",),
    ),
    Table(
        Zone.CLEAN,
        "traffic_readings",
        "traffic",
        "Loop-detector readings per sensor and interval: speed, volume and occupancy, any subset per sensor",
        (
            Column("sensor_id", "string", description="loop detector"),
            TS,
            Column("speed_kmh", "float", "km/h", "mean speed; null = no reading (a zero speed is a missing reading)"),
            Column(
                "volume_veh_h",
                "float",
                "veh/h",
                "flow over the interval, vehicles per hour (a count per 15 minutes is declared as veh/15min); null = no count",
            ),
            Column("occupancy_pct", "float", "%", "share of the interval the loop was occupied; null = no reading"),
            *LINEAGE,
        ),
        key=("sensor_id", "ts_utc"),
        partition_by=(),
    ),
    Table(
        Zone.CLEAN,
        "traffic_sensors",
        "traffic",
        "Where each traffic sensor is",
        (
            Column("sensor_id", "string", description="loop detector"),
            Column(
                "graph_index", "int", description="the sensor's row and column in the road-network adjacency (null: not in it)"
            ),
            *GEO,
            *LINEAGE,
        ),
        key=("sensor_id",),
        partition_by=(),
        time_column=None,
    ),
    Table(
        Zone.CLEAN,
        "traffic_road_links",
        "traffic",
        "The road network between sensors: one weighted link per ordered pair",
        (
            Column("from_index", "int", description="graph_index of the sensor the link leaves"),
            Column("to_index", "int", description="graph_index of the sensor the link reaches"),
            Column("weight", "float", description="closeness along the road, 0 (no link) to 1 (same place)"),
            *LINEAGE,
        ),
        key=("from_index", "to_index"),
        partition_by=(),
        time_column=None,
    ),
    Table(
        Zone.CLEAN,
        "crime_incidents",
        "public_safety",
        "Reported incidents with place and time",
        (
            Column("incident_id", "string", description="the source's id, else a hash of the record"),
            TS,
            PRECISION,
            Column("offense", "string", description="offense category"),
            Column("location_category", "string", description="kind of place (street, residence, ...)"),
            Column("reported_district", "string", description="district as the source recorded it"),
            *GEO,
            *LINEAGE,
        ),
        key=("incident_id",),
        partition_by=(),
    ),
    Table(
        Zone.CLEAN,
        "case_records",
        "public_safety",
        "Police case records: what happened, when and where",
        (
            Column("case_id", "string", description="the police case number"),
            TS,
            Column("case_type", "string", description="kind of case"),
            Column("status", "string", description="where the case stands"),
            Column("reported_district", "string", description="district as the source recorded it"),
            *GEO,
            *LINEAGE,
        ),
        key=("case_id",),
        partition_by=(),
    ),
    Table(
        Zone.CLEAN,
        "case_persons",
        "public_safety",
        "Persons involved in cases; identifiers pseudonymised before the clean zone",
        (
            Column("case_id", "string", description="the case the person is recorded in"),
            Column("role", "string", description="offender, victim, witness"),
            Column("person_id", "string", description="keyed pseudonym of the id-card number"),
            Column("name_pseudonym", "string", description="keyed pseudonym of the name (normalized spelling)"),
            Column("phone_pseudonym", "string", description="keyed pseudonym of the phone number"),
            Column("sex", "string", description="as recorded"),
            Column("birth_year", "int", description="year of birth"),
            Column("occupation", "string", description="occupation class"),
            Column("prior_record", "string", description="yes / no"),
            Column("residence", "string", description="district of residence, or out_of_town"),
            *LINEAGE,
        ),
        key=("case_id", "role", "person_id"),
        partition_by=(),
        time_column=None,
    ),
    Table(
        Zone.CLEAN,
        "case_vehicles",
        "public_safety",
        "Vehicles recorded in cases; plates pseudonymised before the clean zone",
        (
            Column("case_id", "string", description="the case the vehicle is recorded in"),
            Column("plate_pseudonym", "string", description="keyed pseudonym of the plate"),
            Column("vehicle_type", "string", description="kind of vehicle"),
            *LINEAGE,
        ),
        key=("case_id", "plate_pseudonym"),
        partition_by=(),
        time_column=None,
    ),
    Table(
        Zone.CLEAN,
        "hotel_stays",
        "public_safety",
        "Hotel check-ins reported to the police, by pseudonymised guest",
        (
            Column("person_id", "string", description="keyed pseudonym of the id-card number"),
            Column("hotel_id", "string", description="the hotel"),
            Column("ts_utc", "timestamp", description="check-in, UTC"),
            *LINEAGE,
        ),
        key=("person_id", "hotel_id", "ts_utc"),
        partition_by=(),
    ),
    Table(
        Zone.CLEAN,
        "flights",
        "public_safety",
        "Flight departures of pseudonymised passengers",
        (
            Column("person_id", "string", description="keyed pseudonym of the id-card number"),
            Column("flight_no", "string", description="flight number"),
            Column("ts_utc", "timestamp", description="departure, UTC"),
            *LINEAGE,
        ),
        key=("person_id", "flight_no", "ts_utc"),
        partition_by=(),
    ),
    Table(
        Zone.CLEAN,
        "energy_readings",
        "energy",
        "Electricity meter readings",
        (
            Column("meter_id", "string", description="the meter"),
            TS,
            Column("active_power_kw", "float", "kW", "mean active power over the interval"),
            Column("reactive_power_kw", "float", "kW", "mean reactive power over the interval"),
            Column("voltage_v", "float", "V", "mean voltage"),
            Column("current_a", "float", "A", "mean current"),
            Column("sub_metering_1_kwh", "float", "kWh", "energy of sub-meter 1 in the interval"),
            Column("sub_metering_2_kwh", "float", "kWh", "energy of sub-meter 2 in the interval"),
            Column("sub_metering_3_kwh", "float", "kWh", "energy of sub-meter 3 in the interval"),
            *LINEAGE,
        ),
        key=("meter_id", "ts_utc"),
        partition_by=(),
    ),
    Table(
        Zone.CLEAN,
        "water_readings",
        "energy",
        "Water, gas and heat flow meter readings",
        (
            Column("meter_id", "string", description="the meter"),
            TS,
            Column("flow_l_s", "float", "l/s", "mean flow over the interval"),
            *LINEAGE,
        ),
        key=("meter_id", "ts_utc"),
        partition_by=(),
    ),
    Table(
        Zone.CLEAN,
        "building_meter_readings",
        "energy",
        "Interval meter readings of a portfolio of buildings: electricity, heat, gas, water, and the outdoor temperature",
        (
            Column("building_id", "string", description="the building"),
            Column("building_type", "string", description="office, school, hospital, residential, mall, ..."),
            Column("flexible_share", "float", description="share of its electricity that can be shifted in time (energy audit)"),
            TS,
            Column("electricity_kw", "float", "kW", "mean electric power over the interval"),
            Column("heat_kw", "float", "kW", "mean heat delivered over the interval"),
            Column("gas_m3_h", "float", "m3/h", "mean gas flow over the interval"),
            Column("water_m3_h", "float", "m3/h", "mean water flow over the interval"),
            Column("outdoor_temp_c", "float", "degC", "outdoor air temperature at the site"),
            *LINEAGE,
        ),
        key=("building_id", "ts_utc"),
        partition_by=(),
    ),
    Table(
        Zone.CLEAN,
        "noise_levels",
        "environment",
        "Hourly environmental noise levels per sensor",
        (
            Column("sensor_id", "string", description="the noise sensor"),
            Column("zone_class", "string", description="the sensor's acoustic zone class by GB 3096-2008: 0, 1, 2, 3, 4a, 4b"),
            TS,
            Column("laeq_db", "float", "dB(A)", "A-weighted equivalent continuous sound level over the hour (LAeq,1h)"),
            Column("lmax_db", "float", "dB(A)", "highest A-weighted fast sound level in the hour (LAFmax)"),
            *LINEAGE,
        ),
        key=("sensor_id", "ts_utc"),
        partition_by=(),
    ),
    Table(
        Zone.CLEAN,
        "water_quality_samples",
        "environment",
        "Surface water samples of automatic monitoring stations",
        (
            Column("station", "string", description="the monitoring station"),
            Column("water_body", "string", description="river, or lake (lakes and reservoirs: their own phosphorus limits)"),
            TS,
            Column("do_mg_l", "float", "mg/L", "dissolved oxygen"),
            Column("codmn_mg_l", "float", "mg/L", "permanganate index (CODMn)"),
            Column("nh3n_mg_l", "float", "mg/L", "ammonia nitrogen (NH3-N)"),
            Column("tp_mg_l", "float", "mg/L", "total phosphorus (as P)"),
            *LINEAGE,
        ),
        key=("station", "ts_utc"),
        partition_by=(),
    ),
    Table(
        Zone.CLEAN,
        "urban_events",
        "urban",
        "City-management events (complaints, inspections, repairs)",
        (
            Column("event_id", "string", description="the event's number"),
            TS,
            PRECISION,
            Column("category", "string", description="kind of event"),
            Column("status", "string", description="where its handling stands"),
            Column("description", "string", description="free text as reported"),
            *GEO,
            *LINEAGE,
        ),
        key=("event_id",),
        partition_by=(),
    ),
    Table(
        Zone.CLEAN,
        "emergency_reports",
        "emergency",
        "Emergency calls and sensor alarms from every channel",
        (
            Column("report_id", "string", description="the report's number"),
            TS,
            PRECISION,
            Column("channel", "string", description="how it came in (call, sensor, app)"),
            Column("category", "string", description="kind of emergency"),
            Column("severity", "int", description="severity as graded by the source"),
            *GEO,
            *LINEAGE,
        ),
        key=("report_id",),
        partition_by=(),
    ),
    Table(
        Zone.CLEAN,
        "health_visits",
        "health",
        "Health-care visits (no direct identifiers; patient_key is a keyed hash)",
        (
            Column("visit_id", "string", description="the visit"),
            TS,
            PRECISION,
            Column("facility_id", "string", description="the facility"),
            Column("patient_key", "string", description="keyed hash of the patient: no direct identifier"),
            Column("age_band", "string", description="age band"),
            Column("sex", "string", description="as recorded"),
            Column("diagnosis_code", "string", description="diagnosis code (ICD-10)"),
            Column("district", "string", description="district of the facility"),
            *LINEAGE,
        ),
        key=("visit_id",),
        partition_by=(),
    ),
    Table(
        Zone.CLEAN,
        "city_indicators",
        "egov",
        "City statistics by area and period",
        (
            Column("indicator", "string", description="what is measured"),
            Column("area", "string", description="the area it is measured for"),
            Column("period_start", "date", description="first day of the period"),
            Column("value", "float", description="the figure"),
            Column("unit", "string", description="its unit"),
            *LINEAGE,
        ),
        key=("indicator", "area", "period_start"),
        partition_by=("indicator",),
        time_column=None,
    ),
)


def with_engine(dataset: Table) -> Table:
    """A canonical dataset as the clean zone holds it: published by its feeds' clean DAGs with the clean engine."""
    grain = f"one row per ({', '.join(dataset.key)})"
    producer = "the clean DAG of each feed into it (`<department>_<feed>_clean`)"
    return replace(dataset, grain=grain, producer=producer, logic=CLEAN_LOGIC)


CLEAN_DATASETS: tuple[Table, ...] = tuple(with_engine(d) for d in _DECLARED)
