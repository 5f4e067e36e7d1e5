"""`citylake sources draft`: a first feed YAML for a file never seen before, for a person to finish.

From a sample it guesses what a data engineer would look at first: the format and delimiter, each column's
type, the time column and its format (and whether its values carry offsets), the coordinate columns and
whether they are degrees or projected, units written in column names, a column that is unique in the
sample (a key), and, given a canonical dataset, which column feeds which canonical column. Everything it is
not sure of is a TODO; `citylake sources check` then shows what the edited YAML would do to the sample.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipelines.cleanse.crs import look_projected
from pipelines.cleanse.units import UnitError, can_convert, dimension
from pipelines.lake.catalog import Table

TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%d.%m.%Y %H:%M",
    "%Y%m%d%H%M",
)
AWARE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
LATITUDE = {"lat", "latitude", "y", "y_coordinate", "ycoord", "northing", "wgs84_lat"}
LONGITUDE = {"lon", "lng", "long", "longitude", "x", "x_coordinate", "xcoord", "easting", "wgs84_lon"}
UNIT_IN_NAME = re.compile(r"[\[(]([^\])]+)[\])]\s*$")


@dataclass(frozen=True)
class ColumnGuess:
    """What a sample says of one column."""

    name: str
    kind: str  # int, float, time, text
    unit: str | None = None
    time_format: str | None = None  # None with kind time: ISO 8601
    ambiguous_day_month: bool = False  # the sample parses as day/month and as month/day
    with_offsets: bool = False
    unique: bool = False


@dataclass
class Draft:
    """The guesses, and the YAML they make."""

    file_name: str
    format: str
    delimiter: str | None
    columns: list[ColumnGuess] = field(default_factory=list)
    coordinates: tuple[str, str] | None = None
    projected: bool = False


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", UNIT_IN_NAME.sub("", name).lower()).strip("_")


def _unit(name: str) -> str | None:
    found = UNIT_IN_NAME.search(name)
    if found is None:
        return None
    try:
        dimension(found.group(1).strip())
    except UnitError:
        return None
    return found.group(1).strip()


def _suffix_unit(name: str, canonical: str) -> str | None:
    """A unit written as the name's last word ('demand_gw', 'temp_f') that converts to the canonical unit."""
    if "_" not in name:
        return None
    token = name.rsplit("_", 1)[1]
    for candidate in (token, token.upper(), token.lower()):
        if can_convert(candidate, canonical):
            return candidate
    return None


def _stem(name: str) -> str:
    """A column name without a trailing unit word: 'temp_f' -> 'temp'."""
    head, _, token = name.rpartition("_")
    known = head and any(_known_unit(t) for t in (token, token.upper()))
    return head if known else name


def _known_unit(text: str) -> bool:
    try:
        dimension(text)
    except UnitError:
        return False
    return True


def _time_format(values: pd.Series) -> tuple[bool, str | None]:
    """(is it a time, its strptime format or None for ISO 8601)."""
    for fmt in TIME_FORMATS:
        if pd.to_datetime(values, format=fmt, errors="coerce").notna().mean() >= 0.95:
            return True, fmt
    parsed = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
    return bool(parsed.notna().mean() >= 0.95 and values.str.contains(r"\d{4}-\d{2}-\d{2}").mean() >= 0.95), None


def _swapped(fmt: str | None) -> str | None:
    """The same format with day and month the other way round, where it has both."""
    if fmt is None or "%d" not in fmt or "%m" not in fmt:
        return None
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def guess_column(name: str, values: pd.Series) -> ColumnGuess:
    """A column's type (int, float, time, text), its unit and whether the sample's values are unique."""
    given = values.dropna().astype(str).str.strip()
    given = given[given != ""]
    unique = bool(len(given) > 1 and given.is_unique and len(given) == len(values))  # said of ids and times only
    if given.empty:
        return ColumnGuess(name, "text")
    numbers = pd.to_numeric(given, errors="coerce")
    if numbers.notna().all():
        whole = bool((numbers == numbers.round()).all() and not given.str.contains(r"[.eE]").any())
        unit = _unit(name)
        return ColumnGuess(name, "int" if whole else "float", unit, unique=unique and whole and unit is None)
    is_time, fmt = _time_format(given)
    if is_time:
        swapped = _swapped(fmt)
        ambiguous = swapped is not None and pd.to_datetime(given, format=swapped, errors="coerce").notna().mean() >= 0.95
        offsets = bool(given.str.contains(AWARE).mean() > 0.5)
        return ColumnGuess(name, "time", time_format=fmt, ambiguous_day_month=ambiguous, with_offsets=offsets, unique=unique)
    return ColumnGuess(name, "text", unique=unique)


def read_sample(path: Path, rows: int = 5000) -> tuple[pd.DataFrame, str, str | None]:
    """The first rows of a sample as text, with its format and delimiter."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return pd.read_json(path, lines=True, nrows=rows, dtype=False).astype(object), "jsonl", None
    if suffix == ".json":
        return pd.read_json(path, dtype=False).head(rows).astype(object), "json", None
    first_line = path.read_bytes()[:65536].decode("utf-8", errors="replace").splitlines()[:1] or [""]
    delimiter = max([",", ";", "\t", "|"], key=first_line[0].count)
    frame = pd.read_csv(
        path, sep=delimiter, dtype=str, nrows=rows, keep_default_na=False, na_values=["", "NA", "NaN", "null", "NULL", "None"]
    )
    return frame, "tsv" if delimiter == "\t" else "csv", None if delimiter in (",", "\t") else delimiter


def draft_feed(path: Path, dataset: Table | None = None) -> Draft:
    """Every guess a sample supports."""
    frame, fmt, delimiter = read_sample(path)
    draft = Draft(path.name, fmt, delimiter, [guess_column(str(c), frame[c]) for c in frame.columns])
    names = {_normal(c.name): c.name for c in draft.columns}
    lat = next((names[n] for n in names if n in LATITUDE), None)
    lon = next((names[n] for n in names if n in LONGITUDE), None)
    if lat and lon:
        draft.coordinates = (lat, lon)
        draft.projected = look_projected(
            pd.to_numeric(frame[lat], errors="coerce").to_numpy(dtype="float64"),
            pd.to_numeric(frame[lon], errors="coerce").to_numpy(dtype="float64"),
        )
    return draft


def _mapping(draft: Draft, dataset: Table) -> tuple[dict[str, ColumnGuess], list[str]]:
    """Canonical column -> the sample column whose name is (nearly) its name; canonical columns left to map."""
    by_name = {_normal(c.name): c for c in draft.columns}
    taken = {*(draft.coordinates or ())}
    mapped: dict[str, ColumnGuess] = {}
    open_columns = []
    skip = {
        "source_file",
        "source_line",
        "local_date",
        "local_hour",
        "latitude",
        "longitude",
        "district",
        "outside_districts",
        "grid_cell",
    }
    for column in dataset.columns:
        if column.name in skip or column.name == dataset.time_column:
            continue
        unit_letters = re.sub(r"[^a-z0-9]", "", (column.unit or "").lower())
        stem = column.name.removesuffix(f"_{unit_letters}") if unit_letters else column.name
        match = difflib.get_close_matches(column.name, list(by_name), n=1, cutoff=0.8) or difflib.get_close_matches(
            stem, list(by_name), n=1, cutoff=0.8
        )
        if not match:  # 'temp_f' for temperature_c: one stem abbreviates the other
            match = [
                n
                for n in by_name
                if n not in taken
                and min(len(_stem(n)), len(stem)) >= 4
                and (stem.startswith(_stem(n)) or _stem(n).startswith(stem))
            ][:1]
        if match and by_name[match[0]].name not in taken:
            mapped[column.name] = by_name[match[0]]
            taken.add(by_name[match[0]].name)
        else:
            open_columns.append(column.name)
    return mapped, open_columns


def draft_yaml(draft: Draft, dataset: Table | None = None) -> str:
    """The draft as a feed YAML, every unsure line marked TODO."""
    stem = re.sub(r"[^a-z0-9]+", "_", Path(draft.file_name).stem.lower()).strip("_") or "feed"
    name = stem if stem[0].isalpha() else f"feed_{stem}"
    fmt = f"{{type: {draft.format}" + (f", delimiter: {draft.delimiter!r}" if draft.delimiter else "") + "}"
    lines = [
        f"# Draft feed for {draft.file_name} by `citylake sources draft`: finish every TODO, save as sources/{name}.yaml,",
        f"# then try it: citylake sources check {name} {draft.file_name}",
        f"name: {name}",
        "department: TODO",
        "description: TODO what the file holds",
        "origin: TODO who delivers it, and its licence",
        f"dataset: {dataset.name if dataset else 'TODO a canonical dataset (docs/schemas.md)'}",
        f"suite: {dataset.name if dataset else 'TODO'}",
        f'landing_pattern: "{Path(draft.file_name).stem}*{Path(draft.file_name).suffix}"',
        f"format: {fmt}",
        "encoding: auto",
    ]
    times = [c for c in draft.columns if c.kind == "time"]
    if times:
        time = times[0]
        lines += ["time:", f"  column: {time.name}"]
        if time.time_format:
            lines.append(f'  format: "{time.time_format}"')
            if time.ambiguous_day_month:
                lines.append("  # TODO day and month could be either way round in the sample: check the format")
        if time.with_offsets:
            lines.append("  # the values carry offsets (or Z); if they are local clock times, add `offsets: ignore`")
        lines.append("  timezone: TODO the zone of the department's clock (an IANA name such as Asia/Shanghai)")
        if len(times) > 1:
            lines.append(f"  # other time columns: {', '.join(c.name for c in times[1:])}")
    keys = [c.name for c in draft.columns if c.unique]
    lines.append("columns:")
    mapped, open_columns = _mapping(draft, dataset) if dataset is not None else ({}, [])
    if dataset is not None:
        for canonical, guess in mapped.items():
            unit = dataset.column(canonical).unit
            named = _suffix_unit(guess.name, unit) if unit and not guess.unit else None
            if guess.unit and unit and not can_convert(guess.unit, unit):
                unit_text = f", unit: TODO (the header says {guess.unit}, which does not convert to the canonical {unit})"
            elif guess.unit or named:
                written = str(guess.unit or named)
                unit_text = f", unit: {written if re.fullmatch(r'[A-Za-z0-9/^_.]+', written) else repr(written)}"
            else:
                unit_text = f", unit: TODO (canonical {unit})" if unit else ""
            note = "   # unit from the column name: check it" if named else ""
            lines.append(f"  {canonical}: {{source: {guess.name!r}{unit_text}}}{note}")
        lines += [f"  # {c}: TODO its source column (or a constant)" for c in open_columns]
    used = {c.name for c in times[:1]} | set(draft.coordinates or ()) | {g.name for g in mapped.values()}
    for column in draft.columns:
        if column.name not in used:
            unit = f", unit {column.unit}" if column.unit else ""
            lines.append(
                f"  # TODO map or leave: {column.name!r} ({column.kind}{unit}{', unique in the sample' if column.unique else ''})"
            )
    if draft.coordinates:
        lat, lon = draft.coordinates
        crs = "TODO an EPSG code: the values are projected (metres or feet), not degrees" if draft.projected else "wgs84"
        lines += [
            f"coordinates: {{latitude: {lat!r}, longitude: {lon!r}, crs: {crs}}}",
            "geo: {boundary: TODO [min_lat, min_lon, max_lat, max_lon]}",
        ]
    if keys:
        lines.append(f"# unique in the sample, a key candidate: {', '.join(keys)}")
    return "\n".join(lines) + "\n"
