"""The canonical datasets every feed is standardized into: one place for names, types, units and keys.

A feed's YAML maps its source columns onto one of these; units declared in the YAML are converted to
the unit named here. `docs/schemas.md` documents them for people; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "int8": pa.int8(),
}


@dataclass(frozen=True)
class Field:
    """One canonical column: its type, its unit (None for unit-less) and what it means."""

    name: str
    type: str
    unit: str | None = None
    description: str = ""

    @property
    def arrow_type(self) -> pa.DataType:
        """The Arrow type the lake stores."""
        return TYPES[self.type]


@dataclass(frozen=True)
class Dataset:
    """A canonical dataset: its fields, its primary key and how the lake partitions it."""

    name: str
    domain: str
    description: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    partition_by: tuple[str, ...]
    time_column: str | None = "ts_utc"

    def field(self, name: str) -> Field:
        """A field by name."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"dataset {self.name} has no field {name!r}; fields: {', '.join(self.names)}")

    @property
    def names(self) -> list[str]:
        """Column names in order, lineage included."""
        return [f.name for f in self.fields]

    @property
    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema of the clean table."""
        return pa.schema([pa.field(f.name, f.arrow_type) for f in self.fields])


LINEAGE = (
    Field("source_file", "string", description="the delivered file the row came from"),
    Field("source_line", "int", description="its line (or record number) in that file"),
)
GEO = (
    Field("latitude", "float", "deg", "WGS84 latitude"),
    Field("longitude", "float", "deg", "WGS84 longitude"),
    Field("district", "string", description="district polygon the point falls in (null outside every district)"),
    Field("grid_cell", "string", description="cell of the city grid: '<size in degrees>:<row>:<col>'"),
)
TS = Field("ts_utc", "timestamp", description="when it happened / the start of the measured interval, UTC")

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "air_quality_hourly", "environment", "Hourly air quality and weather per monitoring station",
            (
                Field("station", "string", description="monitoring station"),
                TS,
                Field("local_date", "date", description="local civil date of the hour"),
                Field("local_hour", "int8", description="local civil hour (0-23)"),
                Field("pm25_ug_m3", "float", "ug/m3"), Field("pm10_ug_m3", "float", "ug/m3"),
                Field("so2_ug_m3", "float", "ug/m3"), Field("no2_ug_m3", "float", "ug/m3"),
                Field("co_mg_m3", "float", "mg/m3"), Field("o3_ug_m3", "float", "ug/m3"),
                Field("temp_c", "float", "C"), Field("pres_hpa", "float", "hPa"), Field("dewp_c", "float", "C"),
                Field("rain_mm", "float", "mm"), Field("wind_dir", "string", description="16-point compass"),
                Field("wind_speed_m_s", "float", "m/s"),
                Field("pollutants_missing", "int8", description="how many of the six pollutants are null (gap flag)"),
                *LINEAGE,
            ),
            key=("station", "ts_utc"), partition_by=("station",),
        ),
        Dataset(
            "traffic_readings", "traffic", "Loop-detector readings per sensor and interval",
            (
                Field("sensor_id", "string"), TS,
                Field("speed_kmh", "float", "km/h", "mean speed; null = no reading (a zero speed is a missing reading)"),
                *LINEAGE,
            ),
            key=("sensor_id", "ts_utc"), partition_by=(),
        ),
        Dataset(
            "traffic_sensors", "traffic", "Where each traffic sensor is",
            (
                Field("sensor_id", "string"),
                Field("graph_index", "int", description="the sensor's row and column in the road-network adjacency (null: not in it)"),
                *GEO, *LINEAGE,
            ),
            key=("sensor_id",), partition_by=(), time_column=None,
        ),
        Dataset(
            "traffic_road_links", "traffic", "The road network between sensors: one weighted link per ordered pair",
            (
                Field("from_index", "int", description="graph_index of the sensor the link leaves"),
                Field("to_index", "int", description="graph_index of the sensor the link reaches"),
                Field("weight", "float", description="closeness along the road, 0 (no link) to 1 (same place)"),
                *LINEAGE,
            ),
            key=("from_index", "to_index"), partition_by=(), time_column=None,
        ),
        Dataset(
            "crime_incidents", "public_safety", "Reported incidents with place and time",
            (
                Field("incident_id", "string", description="the source's id, else a hash of the record"),
                TS,
                Field("offense", "string", description="offense category"),
                Field("location_category", "string", description="kind of place (street, residence, ...)"),
                Field("reported_district", "string", description="district as the source recorded it"),
                *GEO, *LINEAGE,
            ),
            key=("incident_id",), partition_by=(),
        ),
        Dataset(
            "case_records", "public_safety", "Police case records: what happened, when and where",
            (
                Field("case_id", "string"), TS, Field("case_type", "string"), Field("status", "string"),
                Field("reported_district", "string", description="district as the source recorded it"),
                *GEO, *LINEAGE,
            ),
            key=("case_id",), partition_by=(),
        ),
        Dataset(
            "case_persons", "public_safety", "Persons involved in cases; identifiers pseudonymised before the clean zone",
            (
                Field("case_id", "string"), Field("role", "string", description="offender, victim, witness"),
                Field("person_id", "string", description="keyed pseudonym of the id-card number"),
                Field("name_pseudonym", "string", description="keyed pseudonym of the name (normalized spelling)"),
                Field("phone_pseudonym", "string", description="keyed pseudonym of the phone number"),
                Field("sex", "string"), Field("birth_year", "int"), Field("occupation", "string", description="occupation class"),
                Field("prior_record", "string", description="yes / no"),
                Field("residence", "string", description="district of residence, or out_of_town"),
                *LINEAGE,
            ),
            key=("case_id", "role", "person_id"), partition_by=(), time_column=None,
        ),
        Dataset(
            "case_vehicles", "public_safety", "Vehicles recorded in cases; plates pseudonymised before the clean zone",
            (
                Field("case_id", "string"), Field("plate_pseudonym", "string", description="keyed pseudonym of the plate"),
                Field("vehicle_type", "string"), *LINEAGE,
            ),
            key=("case_id", "plate_pseudonym"), partition_by=(), time_column=None,
        ),
        Dataset(
            "hotel_stays", "public_safety", "Hotel check-ins reported to the police, by pseudonymised guest",
            (Field("person_id", "string", description="keyed pseudonym of the id-card number"), Field("hotel_id", "string"),
             Field("ts_utc", "timestamp", description="check-in, UTC"), *LINEAGE),
            key=("person_id", "hotel_id", "ts_utc"), partition_by=(),
        ),
        Dataset(
            "flights", "public_safety", "Flight departures of pseudonymised passengers",
            (Field("person_id", "string", description="keyed pseudonym of the id-card number"), Field("flight_no", "string"),
             Field("ts_utc", "timestamp", description="departure, UTC"), *LINEAGE),
            key=("person_id", "flight_no", "ts_utc"), partition_by=(),
        ),
        Dataset(
            "energy_readings", "energy", "Electricity meter readings",
            (
                Field("meter_id", "string"), TS,
                Field("active_power_kw", "float", "kW"), Field("reactive_power_kw", "float", "kW"),
                Field("voltage_v", "float", "V"), Field("current_a", "float", "A"),
                Field("sub_metering_1_kwh", "float", "kWh"), Field("sub_metering_2_kwh", "float", "kWh"),
                Field("sub_metering_3_kwh", "float", "kWh"),
                *LINEAGE,
            ),
            key=("meter_id", "ts_utc"), partition_by=(),
        ),
        Dataset(
            "water_readings", "energy", "Water, gas and heat flow meter readings",
            (Field("meter_id", "string"), TS, Field("flow_l_s", "float", "l/s"), *LINEAGE),
            key=("meter_id", "ts_utc"), partition_by=(),
        ),
        Dataset(
            "urban_events", "urban", "City-management events (complaints, inspections, repairs)",
            (
                Field("event_id", "string"), TS, Field("category", "string"), Field("status", "string"),
                Field("description", "string"), *GEO, *LINEAGE,
            ),
            key=("event_id",), partition_by=(),
        ),
        Dataset(
            "emergency_reports", "emergency", "Emergency calls and sensor alarms from every channel",
            (
                Field("report_id", "string"), TS, Field("channel", "string"), Field("category", "string"),
                Field("severity", "int"), *GEO, *LINEAGE,
            ),
            key=("report_id",), partition_by=(),
        ),
        Dataset(
            "health_visits", "health", "Health-care visits (no direct identifiers; patient_key is a keyed hash)",
            (
                Field("visit_id", "string"), TS, Field("facility_id", "string"), Field("patient_key", "string"),
                Field("age_band", "string"), Field("sex", "string"), Field("diagnosis_code", "string"),
                Field("district", "string"), *LINEAGE,
            ),
            key=("visit_id",), partition_by=(),
        ),
        Dataset(
            "city_indicators", "egov", "City statistics by area and period",
            (
                Field("indicator", "string"), Field("area", "string"), Field("period_start", "date"),
                Field("value", "float"), Field("unit", "string"), *LINEAGE,
            ),
            key=("indicator", "area", "period_start"), partition_by=("indicator",), time_column=None,
        ),
    )
}


def get_dataset(name: str) -> Dataset:
    """A canonical dataset by name, with the list of known ones when the name is wrong."""
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown canonical dataset {name!r}; known: {', '.join(sorted(DATASETS))}") from None


def schemas_markdown() -> str:
    """docs/schemas.md, generated from the definitions above (a test keeps the file in step)."""
    lines = [
        "# Canonical datasets",
        "",
        "Every feed is standardized into one of these datasets (`pipelines/canonical.py`; regenerate this page",
        "with `citylake schemas > docs/schemas.md`). Times are UTC; units are part of the column name and listed",
        "below; `source_file` and `source_line` say where each row came from.",
    ]
    for dataset in DATASETS.values():
        lines += [
            "",
            f"## {dataset.name}",
            "",
            f"{dataset.description}. Domain: {dataset.domain}. Key: ({', '.join(dataset.key)}). "
            f"Partitioned by: {', '.join(dataset.partition_by) or 'source_file (a re-delivered file replaces only its rows)'}.",
            "",
            "| column | type | unit | meaning |",
            "|---|---|---|---|",
        ]
        lines += [f"| {f.name} | {f.type} | {f.unit or ''} | {f.description} |" for f in dataset.fields]
    return "\n".join(lines) + "\n"
