"""The feed configuration: one YAML per departmental feed, checked against this schema and the canonical dataset.

Errors name the file, the key and the problem, e.g.
`sources/metr_la_speeds.yaml: columns.speed_kmh.unit: no conversion from 'knots' to 'km/h'`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipelines.cleanse.derive import DeriveError, Rule, expression_names
from pipelines.cleanse.units import UnitError, check_conversion
from pipelines.config import config_problems
from pipelines.lake.catalog import Table, clean_dataset


class FeedConfigError(ValueError):
    """A feed's YAML is not valid; the message names the file, the key and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DelimitedFormat(_Strict):
    """CSV/TSV with any delimiter and quoting."""

    type: Literal["csv", "tsv"]
    delimiter: str | None = None  # default: ',' for csv, tab for tsv
    quotechar: str = '"'
    header: bool = True  # False: columns are named col_1, col_2, ...

    @property
    def separator(self) -> str:
        """The field delimiter actually used."""
        return self.delimiter or ("\t" if self.type == "tsv" else ",")


class JsonLinesFormat(_Strict):
    """One JSON object per line."""

    type: Literal["jsonl"]


class JsonArrayFormat(_Strict):
    """A JSON array of objects (or an object holding one under `records_key`)."""

    type: Literal["json"]
    records_key: str | None = None


class GeoJsonFormat(_Strict):
    """A FeatureCollection of Points: properties become columns, plus `longitude` and `latitude`."""

    type: Literal["geojson"]


class ExcelFormat(_Strict):
    """An .xlsx workbook: one sheet, a header row."""

    type: Literal["xlsx"]
    sheet: str | int = 0
    header_row: int = Field(default=1, ge=1)


class ParquetFormat(_Strict):
    """Apache Parquet."""

    type: Literal["parquet"]


Format = Annotated[
    DelimitedFormat | JsonLinesFormat | JsonArrayFormat | GeoJsonFormat | ExcelFormat | ParquetFormat,
    Field(discriminator="type"),
]


class ColumnMap(_Strict):
    """Where a canonical column comes from: a source column, a constant or the feed's own declaration; its unit, its
    null markers."""

    source: str | None = None
    constant: str | None = None
    # `timezone`: the feed's civil zone (time.local_timezone, else time.timezone), for a dataset whose rows come
    # from several zones (each line's weekdays and hours), so that the zone is declared once
    from_feed: Literal["timezone"] | None = None
    unit: str | None = None
    null_markers: list[str] | None = None
    zero_is_missing: bool = False  # e.g. loop detectors report 0 for "no reading"
    format: str | None = None  # a timestamp column's strftime format (default ISO 8601), read in the feed's time zone
    # personal identifiers are replaced by a keyed pseudonym (pipelines/cleanse/pseudonymize.py) before the
    # clean zone; the kind decides how formatting variants are normalized first
    pseudonymize: Literal["id_card", "phone", "plate", "name", "record"] | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> ColumnMap:
        if self.from_feed is not None:
            if self.source is not None or self.constant is not None:
                raise ValueError("'from_feed' takes no 'source' or 'constant'")
        elif (self.source is None) == (self.constant is None):
            raise ValueError("give exactly one of 'source' or 'constant'")
        return self


class RowClock(_Strict):
    """Time derived from the row number: row i is start + i * step, start in the feed's local time.

    `counts: elapsed` (a meter, a logger): the steps are real time, so a half-hourly series across a DST change
    has no hole and no repeat in UTC. `counts: wall_clock` (a timetable): each row is the local clock's next step,
    so the hour skipped in spring does not exist (INVALID_TIMESTAMP) and the repeated autumn hour follows `ambiguous`.
    """

    start: dt.datetime
    step: str
    counts: Literal["wall_clock", "elapsed"] = "wall_clock"

    @field_validator("step")
    @classmethod
    def _step(cls, value: str) -> str:
        import pandas as pd

        try:
            if pd.Timedelta(value) <= pd.Timedelta(0):
                raise ValueError
        except ValueError:
            raise ValueError(f"{value!r} is not a positive duration such as '5min' or '1h'") from None
        return value


class TimeSpec(_Strict):
    """How a row's time is found, and the civil time zone of naive values."""

    column: str | None = None
    format: str | None = None  # strptime format; None: ISO 8601
    epoch: Literal["s", "ms"] | None = None  # the values count seconds (or milliseconds) since 1970-01-01 UTC
    parts: dict[Literal["year", "month", "day", "hour", "minute"], str] | None = None
    row_clock: RowClock | None = None
    timezone: str | None = None  # IANA name; naive times without it are quarantined as NAIVE_TIMESTAMP
    # the civil zone whose days and hours the marts count in, where the file's clock is another (a meter kept on
    # winter time all year); default: `timezone`
    local_timezone: str | None = None
    # `ignore`: the values are local clock times in `timezone` even where they carry a Z or an offset (an export
    # artefact): the marker is dropped and the clock read in the zone. `trust` (default): an offset means what it says.
    offsets: Literal["trust", "ignore"] = "trust"
    ambiguous: Literal["quarantine", "earliest", "latest"] = "quarantine"  # a local time that occurs twice (DST ends)
    not_before: dt.date = dt.date(1990, 1, 1)
    max_future: str = "1D"  # how far past the file's arrival a time may lie
    expected_interval: str | None = None  # a regular series (e.g. '1h'): missing steps are counted as gaps

    @model_validator(mode="after")
    def _one_way(self) -> TimeSpec:
        ways = [self.column is not None, self.parts is not None, self.row_clock is not None]
        if sum(ways) != 1:
            raise ValueError("give exactly one of 'column', 'parts' or 'row_clock'")
        if self.parts is not None and not {"year", "month", "day"} <= set(self.parts):
            raise ValueError("'parts' needs at least year, month and day")
        if self.row_clock is not None and self.timezone is None:
            raise ValueError("'row_clock' needs a 'timezone'")
        if self.offsets == "ignore" and self.timezone is None:
            raise ValueError("'offsets: ignore' needs the 'timezone' whose clock the values show")
        if self.epoch is not None and (self.column is None or self.format is not None or self.offsets == "ignore"):
            raise ValueError("'epoch' reads one 'column' of numbers: it takes no 'format' and no 'offsets: ignore'")
        return self

    @field_validator("timezone", "local_timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)") from None
        return value


class WideToLong(_Strict):
    """One column per sensor (or measure) becomes one row per (row, column)."""

    id_columns: list[str] = []
    variable_name: str
    value_name: str
    # which columns melt (glob patterns, e.g. ["zone_*"]); None: every column that is not an id or an attribute
    melt: list[str] | None = None
    # columns that stay beside every melted value (a temperature next to per-zone demand), like the ids
    attributes: list[str] = []
    # Matrix files (a road-network adjacency): also keep where each value sat, 0-based among the data rows
    # and among the non-id columns, so the positions can be joined to the list that labels them.
    row_index_name: str | None = None
    column_index_name: str | None = None


class Coordinates(_Strict):
    """Which columns hold the point, and in which coordinate system."""

    latitude: str  # a projected system's y (northing)
    longitude: str  # a projected system's x (easting)
    crs: str = "wgs84"  # wgs84, gcj02, bd09, or any EPSG code pyproj knows (EPSG:32650, EPSG:3435, EPSG:27700)

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str) -> str:
        from pipelines.cleanse.crs import CrsError, check_crs

        try:
            check_crs(value)
        except CrsError as exc:
            raise ValueError(str(exc).split("; ")[0]) from None
        return value


class DistrictPolygons(_Strict):
    """Polygons (KML or GeoJSON, a path under the data directory or absolute) and their name field."""

    file: str
    name_field: str = "name"


class Geo(_Strict):
    """Geo-referencing: districts, the city boundary, the grid.

    A point outside the city (the `boundary`, else the box around the district polygons) is quarantined as
    OUT_OF_CITY; a point in the city but in no district polygon is kept with a null district and
    `outside_districts` true.
    """

    districts: DistrictPolygons | None = None
    boundary: tuple[float, float, float, float] | None = None  # min_lat, min_lon, max_lat, max_lon
    grid_degrees: float = Field(default=0.01, gt=0, le=1)

    @model_validator(mode="after")
    def _has_a_boundary(self) -> Geo:
        if self.districts is None and self.boundary is None:
            raise ValueError("give 'districts' or a 'boundary' (min_lat, min_lon, max_lat, max_lon)")
        return self


class FileKey(_Strict):
    """A value every row must share with its file's name (a station file holds only that station)."""

    column: str
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        if "value" not in compiled.groupindex:
            raise ValueError("needs a named group (?P<value>...)")
        return value


class Derived(_Strict):
    """One derived column: exactly one operation (pipelines/cleanse/derive.py lists them)."""

    concat: list[str] | None = None
    sep: str = ""
    extract: str | None = None
    replace: str | None = None
    pattern: str | None = None
    replacement: str = ""
    expression: str | None = None
    map: str | None = None
    values: dict[str, str | int | float | None] | None = None
    default: Literal["keep", "null"] = "keep"
    date_part: str | None = None
    part: Literal["year", "month", "day", "hour", "minute", "weekday"] | None = None
    format: str | None = None
    shift: str | None = None
    within: list[str] = []
    order_by: str | None = None
    periods: int = 1

    @model_validator(mode="after")
    def _one_operation(self) -> Derived:
        given = [op for op in OPERATIONS if getattr(self, op) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(OPERATIONS)} (given: {', '.join(given) or 'none'})")
        op = given[0]
        if op in ("extract", "replace"):
            if self.pattern is None:
                raise ValueError(f"'{op}' needs a 'pattern'")
            try:
                compiled = re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern {self.pattern!r} is not a regular expression: {exc}") from None
            if op == "extract" and not compiled.groups:
                raise ValueError(f"pattern {self.pattern!r} has no group to extract: put the wanted part in ( )")
        if op == "map" and not self.values:
            raise ValueError("'map' needs 'values' (delivered value -> canonical value)")
        if op == "date_part" and self.part is None:
            raise ValueError("'date_part' needs a 'part' (year, month, day, hour, minute or weekday)")
        if op == "expression":
            try:
                expression_names(str(self.expression))
            except DeriveError as exc:
                raise ValueError(str(exc)) from None
        return self

    def rule(self) -> Rule:
        """The operation as the engine runs it, with the columns it reads."""
        op = next(op for op in OPERATIONS if getattr(self, op) is not None)
        if op == "concat":
            inputs = tuple(self.concat or ())
        elif op == "expression":
            inputs = tuple(expression_names(str(self.expression)))
        elif op == "shift":
            inputs = (str(self.shift), *self.within, *([self.order_by] if self.order_by else []))
        else:
            inputs = (str(getattr(self, op)),)
        options = {k: v for k, v in self.model_dump().items() if k not in OPERATIONS or k == "expression"}
        return Rule(op, inputs, options)


OPERATIONS = ("concat", "extract", "replace", "expression", "map", "date_part", "shift")


class Duplicates(_Strict):
    """What a repeated key means in this feed (copies equal in every mapped column are always dropped and counted)."""

    policy: Literal["conflict", "keep_first", "keep_latest", "merge"] = "conflict"
    latest_by: str | None = None  # keep_latest: the canonical column that says which row is the latest
    count_into: str | None = None  # merge: an integer canonical column that receives the number of rows merged

    @model_validator(mode="after")
    def _complete(self) -> Duplicates:
        if self.policy == "keep_latest" and self.latest_by is None:
            raise ValueError("'keep_latest' needs 'latest_by' (the column that says which row is the latest)")
        if self.latest_by is not None and self.policy != "keep_latest":
            raise ValueError("'latest_by' is for the 'keep_latest' policy")
        if self.count_into is not None and self.policy != "merge":
            raise ValueError("'count_into' is for the 'merge' policy")
        return self


class FeedSpec(_Strict):
    """One departmental feed."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    department: str
    description: str
    origin: str
    dataset: str
    suite: str
    landing_pattern: str
    data_files: list[str] = []  # the public files under the data directory this feed is demonstrated with
    format: Format
    compression: Literal["auto", "none", "gzip", "zip"] = "auto"
    encoding: Literal["auto", "utf-8", "utf-8-sig", "gbk", "gb18030"] = "auto"
    null_markers: list[str] = ["", "NA", "NaN", "nan", "null", "NULL", "None"]
    reshape: WideToLong | None = None
    columns: dict[str, ColumnMap]
    time: TimeSpec | None = None
    coordinates: Coordinates | None = None
    geo: Geo | None = None
    file_key: FileKey | None = None
    id_from_hash: str | None = None  # a key column to fill with a hash of the record when the source has no id
    duplicates: Duplicates = Duplicates()
    derive: dict[str, Derived] = {}  # new columns computed from the row, usable as `source` like delivered ones
    max_decompressed_mib: int = Field(default=2048, gt=0)
    cadence: str = "1D"  # how often the department delivers: a dataset older than this is late (the lake page)

    @field_validator("cadence")
    @classmethod
    def _positive_cadence(cls, value: str) -> str:
        try:
            if pd.Timedelta(value) <= pd.Timedelta(0):
                raise ValueError
        except ValueError:
            raise ValueError(f"cadence {value!r} is not a positive duration such as '1h' or '1D'") from None
        return value

    @field_validator("dataset")
    @classmethod
    def _known_dataset(cls, value: str) -> str:
        try:
            clean_dataset(value)
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None
        return value

    @property
    def pseudonymized_columns(self) -> list[str]:
        """Canonical columns that hold pseudonyms of personal identifiers."""
        return [name for name, mapping in self.columns.items() if mapping.pseudonymize]

    @property
    def header_lines(self) -> int:
        """Lines before the first record in a text file (for counting rows at ingest)."""
        return 1 if self.format.type in ("csv", "tsv") and self.format.header else 0

    @property
    def line_per_record(self) -> bool:
        """Whether one line is one record, so that rows can be counted by lines at ingest."""
        return self.format.type in ("csv", "tsv", "jsonl")

    def file_partition(self, file_name: str) -> str | None:
        """The value every row of this file shares (its partition), from the file name; None without a file key."""
        if self.file_key is None:
            return None
        match = re.search(self.file_key.pattern, file_name)
        return match.group("value") if match else None

    @property
    def civil_timezone(self) -> str | None:
        """The zone the feed's local days and hours are counted in: time.local_timezone, else time.timezone."""
        return (self.time.local_timezone or self.time.timezone) if self.time is not None else None

    @property
    def canonical(self) -> Table:
        """The canonical dataset this feed feeds."""
        return clean_dataset(self.dataset)

    @model_validator(mode="after")
    def _fits_the_dataset(self) -> FeedSpec:
        dataset = clean_dataset(self.dataset)
        problems: list[tuple[str, str]] = []
        for name, mapping in self.columns.items():
            try:
                field = dataset.column(name)
            except KeyError as exc:
                problems.append((f"columns.{name}", str(exc.args[0])))
                continue
            if mapping.unit and not field.unit:
                problems.append((f"columns.{name}.unit", f"{name} has no unit in {dataset.name}"))
            elif mapping.unit and (problem := _unit_problem(mapping.unit, field.unit or "")):
                problems.append((f"columns.{name}.unit", problem))
            elif field.unit and field.type == "float" and mapping.source and not mapping.unit:
                problems.append((f"columns.{name}.unit", f"say the source unit (canonical: {field.unit})"))
        derived = {"source_file", "source_line", "local_date", "local_hour", "pollutants_missing", "ts_precision"}
        if self.time is not None and dataset.time_column:
            derived.add(dataset.time_column)
        if self.coordinates is not None:
            derived |= {"latitude", "longitude", "district", "outside_districts", "grid_cell"}
        if self.id_from_hash:
            derived.add(self.id_from_hash)
        missing = [k for k in dataset.key if k not in self.columns and k not in derived]
        if missing:
            problems.append(("columns", f"the key column(s) {', '.join(missing)} of {dataset.name} are not mapped"))
        if dataset.time_column and self.time is None:
            problems.append(("time", f"{dataset.name} needs a time: give 'time'"))
        zone_taken = [n for n, m in self.columns.items() if m.from_feed == "timezone"]
        if zone_taken and (self.time is None or not (self.time.local_timezone or self.time.timezone)):
            problems.append((f"columns.{zone_taken[0]}", "from_feed: timezone needs time.timezone or time.local_timezone"))
        if self.coordinates is not None and self.geo is None:
            problems.append(("geo", "coordinates need 'geo' (districts or a boundary)"))
        for option in ("latest_by", "count_into"):
            name = getattr(self.duplicates, option)
            if name is not None and name not in dataset.names:
                nearest = difflib.get_close_matches(name, dataset.names, n=1)
                hint = f"; did you mean {nearest[0]!r}?" if nearest else f"; columns: {', '.join(dataset.names)}"
                problems.append((f"duplicates.{option}", f"{dataset.name} has no column {name!r}{hint}"))
        declared = list(self.derive)
        for position, (name, operation) in enumerate(self.derive.items()):
            later = [n for n in operation.rule().inputs if n in declared[position:]]
            if later:
                problems.append((f"derive.{name}", f"reads {', '.join(map(repr, later))}, which is derived at or after it"))
        if (
            self.time is not None
            and self.time.format is not None
            and precision_of_format(self.time.format) == "day"
            and dataset.time_column
            and "ts_precision" not in dataset.names
        ):
            problems.append(
                (
                    "time.format",
                    f"{self.time.format!r} gives dates without a time of day, and {dataset.name} has no ts_precision "
                    f"column to say so: add one with a dataset YAML (extends: {dataset.name}) rather than store midnights",
                )
            )
        count_into = self.duplicates.count_into
        if count_into in dataset.names and not dataset.column(str(count_into)).type.startswith("int"):
            problems.append(("duplicates.count_into", f"{count_into} is not an integer column of {dataset.name}"))
        if problems:
            raise ValueError("; ".join(f"{key}: {problem}" for key, problem in problems))
        return self


def precision_of_format(fmt: str) -> str:
    """The finest unit a strptime format gives: a format without %H gives days."""
    if any(d in fmt for d in ("%S", "%T", "%s", "%f")):
        return "second"
    if "%M" in fmt or "%R" in fmt:
        return "minute"
    return "hour" if ("%H" in fmt or "%I" in fmt) else "day"


def _unit_problem(source: str, target: str) -> str | None:
    """Why values in `source` cannot be loaded into a column in `target` (None: they can)."""
    try:
        check_conversion(source, target)
    except UnitError as exc:
        return str(exc)
    return None


def _location(loc: tuple[object, ...]) -> str:
    parts = [str(part) for part in loc if not str(part).startswith(("function-", "tagged-union"))]
    if len(parts) > 2 and parts[0] == "format":
        del parts[1]  # the format's type tag pydantic adds to the path
    return ".".join(parts)


def parse_feed(document: object, origin: str) -> FeedSpec:
    """A FeedSpec from a parsed YAML document; FeedConfigError names `origin`, the key and the problem."""
    if not isinstance(document, dict):
        raise FeedConfigError(f"{origin}: the file must hold a mapping of keys, not {type(document).__name__}")
    try:
        return FeedSpec.model_validate(document)
    except ValidationError as exc:
        raise FeedConfigError(config_problems(origin, exc, _location)) from None


def load_feed(path: Path) -> FeedSpec:
    """Read and check one feed YAML."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FeedConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise FeedConfigError(f"{path}: not valid YAML ({exc})") from None
    spec = parse_feed(document, str(path))
    if spec.name != path.stem:
        raise FeedConfigError(f"{path}: name: {spec.name!r} must equal the file name {path.stem!r}")
    return spec
