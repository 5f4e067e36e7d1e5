"""The standardization engine: one delivered file + its feed's YAML -> canonical rows, or quarantined rows with reasons.

Pure: bytes, the feed spec, the suite and a context (arrival time, district polygons) in; frames out.
Every row that comes in ends up clean, deduplicated, or quarantined: rows_in = clean + quarantined + deduplicated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

import numpy as np
import pandas as pd

from pipelines.cleanse import crs, geo
from pipelines.cleanse.dedup import deduplicate, in_order
from pipelines.cleanse.derive import Rule, add_derived, file_inputs
from pipelines.cleanse.pseudonymize import pseudonymize
from pipelines.cleanse.records import LINE, RAW, printable, raw_records, rejects_frame
from pipelines.cleanse.text import by_distinct, contains, numbers, stripped
from pipelines.cleanse.units import convert
from pipelines.lake.catalog import Column, Table
from pipelines.sources.readers import FileRejected, read_records
from pipelines.sources.spec import FeedSpec, precision_of_format
from pipelines.validate.reasons import Reason
from pipelines.validate.suite import Suite

LINEAGE = ("source_file", "source_line")
PRECISION = "ts_precision"  # a dataset with this column says how precise each time is; without it, no fake midnight
DERIVED = ("local_date", "local_hour", "pollutants_missing", PRECISION)
AWARE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
ISO_TIME = re.compile(r"^\d{4}-?\d{2}-?\d{2}(?:[T ](\d{2})(:?\d{2})?(:?\d{2}(?:[.,]\d+)?)?)?$")
UNSAFE_TEXT = re.compile("[\udc80-\udcff\x00]")  # undecodable bytes kept as surrogates, NUL
TRUE, FALSE = {"true", "t", "yes", "y", "1"}, {"false", "f", "no", "n", "0"}


@dataclass(frozen=True)
class FeedContext:
    """What the engine needs besides the bytes: the file's name and arrival, and the district polygons."""

    file_name: str
    arrived_at: dt.datetime
    districts: list[geo.District] | None = None
    pseudonym_key: bytes | None = None  # required when the feed pseudonymizes a column


class PseudonymKeyMissing(RuntimeError):
    """A feed pseudonymizes identifiers and no key is configured: nothing may reach the clean zone in clear."""


@dataclass(frozen=True)
class Standardized:
    """One delivered file after standardization: clean rows, rejected rows, and the ledger's counts."""

    clean: pd.DataFrame
    rejects: pd.DataFrame  # reason_code, reason_detail, source_line, raw_record
    rows_in: int
    rows_deduplicated: int
    gaps: int = 0
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    deduplicated_by_reason: dict[str, int] = field(default_factory=dict)
    validations: list[dict[str, Any]] = field(default_factory=list)  # GX's results on the rows (one per chunk read)

    @property
    def balanced(self) -> bool:
        """rows_in = clean + quarantined + deduplicated."""
        return self.rows_in == len(self.clean) + len(self.rejects) + self.rows_deduplicated


class _Rejections:
    """The first reason per row wins; later checks only look at rows still standing (numpy-backed: checks are hot)."""

    def __init__(self, index: pd.Index) -> None:
        self.index = index
        self._reason = np.full(len(index), None, dtype=object)
        self._detail = np.full(len(index), None, dtype=object)
        self._standing = np.ones(len(index), dtype=bool)

    @property
    def standing(self) -> pd.Series:
        return pd.Series(self._standing, index=self.index)

    @property
    def reason(self) -> pd.Series:
        return pd.Series(self._reason, index=self.index, dtype=object)

    @property
    def detail(self) -> pd.Series:
        return pd.Series(self._detail, index=self.index, dtype=object)

    def add(self, mask: pd.Series, reason: str, details: pd.Series | Callable[[pd.Series], list[str]] | str) -> None:
        """Reject the rows of `mask` still standing; `details` is text, a Series, or a function of the new rows."""
        flags = mask.to_numpy(dtype=bool, na_value=False) if isinstance(mask, pd.Series) else np.asarray(mask, dtype=bool)
        new = flags & self._standing
        if not new.any():
            return
        self._standing &= ~new
        self._reason[new] = str(reason)
        if isinstance(details, str):
            self._detail[new] = details
        elif isinstance(details, pd.Series):
            self._detail[new] = details.to_numpy(dtype=object)[new]
        else:
            self._detail[new] = list(details(pd.Series(new, index=self.index)))


def required_source_columns(spec: FeedSpec) -> list[str]:
    """The source columns a file must have (before any reshape; derived columns stand for the columns they read)."""
    if spec.reshape is not None:
        return [*spec.reshape.id_columns, *spec.reshape.attributes]
    return file_inputs(derived_rules(spec), _used_columns(spec))


def derived_rules(spec: FeedSpec) -> dict[str, Rule]:
    """The feed's derived columns as the engine computes them, in declaration order."""
    return {name: derived.rule() for name, derived in spec.derive.items()}


def _used_columns(spec: FeedSpec) -> list[str]:
    """Every column the YAML reads, delivered or derived."""
    needed = [m.source for m in spec.columns.values() if m.source]
    if spec.time and spec.time.column:
        needed.append(spec.time.column)
    if spec.time and spec.time.parts:
        needed.extend(spec.time.parts.values())
    if spec.coordinates:
        needed += [spec.coordinates.latitude, spec.coordinates.longitude]
    key_source = spec.columns[spec.file_key.column].source if spec.file_key and spec.file_key.column in spec.columns else None
    if key_source:
        needed.append(key_source)
    return list(dict.fromkeys(needed))


def _matches(text: pd.Series, pattern: re.Pattern[str]) -> pd.Series:
    """Which values (str or None) match a pattern: vectorized through Arrow, by Python where Arrow cannot hold them."""
    found = contains(text, pattern.pattern, regex=True)
    if found is not None:
        return found
    try:
        return pd.Series(text, dtype="string[pyarrow]").str.contains(pattern.pattern, regex=True).fillna(False).astype(bool)
    except (UnicodeError, ValueError, TypeError):
        return text.map(lambda v: isinstance(v, str) and bool(pattern.search(v))).astype(bool)


def _unsafe(text: pd.Series) -> pd.Series:
    """Values holding a NUL or undecodable bytes (surrogates, which Arrow cannot even hold)."""
    found = contains(text, "\x00", regex=False)  # Arrow-backed text holds no surrogates: only a NUL can be there
    if found is not None:
        return found
    try:
        arrow = pd.Series(text, dtype="string[pyarrow]")
    except (UnicodeError, ValueError, TypeError):
        return _matches(text, UNSAFE_TEXT)
    return arrow.str.contains("\x00", regex=False).fillna(False).astype(bool)


def _typed(
    values: pd.Series,
    target: Column,
    markers: set[str],
    unit: str | None,
    zero_is_missing: bool,
    label: str,
    timezone: str | None = None,
    time_format: str | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Values in the canonical type and unit; per row, the detail (naming the source column `label`) of a misfit.
    A timestamp other than the row's time (a case's `closed_utc`) is read like it: `time_format` (default ISO 8601),
    an offset when it has one, else the feed's `timezone`."""
    text = stripped(values, markers)
    problem = pd.Series(None, index=values.index, dtype="object")
    if target.type == "timestamp":
        return _other_timestamp(text, problem, label, timezone, time_format)
    if target.type in ("float", "int", "int32", "int16", "int8"):
        read = numbers(text)
        bad = text.notna() & read.isna()
        if target.type != "float":
            bad |= read.notna() & (read != read.round())
        problem[bad] = [f"{label}={v!r} is not {'a number' if target.type == 'float' else 'a whole number'}" for v in text[bad]]
        read[bad] = np.nan
        if zero_is_missing:
            read[read == 0] = np.nan
        if unit and target.unit:
            read = pd.Series(convert(read.to_numpy(), unit, target.unit), index=values.index)
        if target.type != "float":
            return read.round().astype("Int64"), problem
        return read, problem
    if target.type == "bool":
        lowered = text.map(lambda v: str(v).lower() if v is not None else None)
        result = lowered.map(lambda v: True if v in TRUE else False if v in FALSE else None)
        bad = lowered.notna() & result.isna()
        problem[bad] = [f"{label}={v!r} is not true/false" for v in text[bad]]
        return result.astype("boolean"), problem
    if target.type == "date":
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
        bad = text.notna() & parsed.isna()
        problem[bad] = [f"{label}={v!r} is not a date" for v in text[bad]]
        return parsed.dt.date.where(parsed.notna(), None), problem
    already_text = values.dtype != object and pd.api.types.is_string_dtype(values)
    as_text = text if already_text else text.map(lambda v: v if v is None or isinstance(v, str) else str(v))
    unsafe = _unsafe(as_text)
    if unsafe.any():
        as_text[unsafe] = as_text[unsafe].map(printable)
    return as_text, problem


def _other_timestamp(
    text: pd.Series, problem: pd.Series, label: str, timezone: str | None, time_format: str | None
) -> tuple[pd.Series, pd.Series]:
    """A timestamp column besides the row's time, in UTC; a misfit named (no such time, no zone to read it in)."""
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    aware = _matches(text, AWARE)
    if aware.any():
        result[aware] = pd.to_datetime(text[aware], format=time_format or "ISO8601", errors="coerce", utc=True)
    plain = text.notna() & ~aware
    if plain.any() and timezone is None:
        problem[plain] = [f"{label}={v!r} has no time zone and the feed declares none" for v in text[plain]]
    elif plain.any():
        naive = pd.to_datetime(text[plain], format=time_format or "ISO8601", errors="coerce")
        result[plain] = naive.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    bad = text.notna() & result.isna() & problem.isna()
    problem[bad] = [f"{label}={v!r} is not a time{' in ' + timezone if timezone else ''}" for v in text[bad]]
    return result, problem


def _precision_of_step(step: pd.Timedelta) -> str:
    """The precision a regular step gives: whole days are days, whole hours hours, and so on."""
    for unit, size in (("day", "1D"), ("hour", "1h"), ("minute", "1min")):
        if step % pd.Timedelta(size) == pd.Timedelta(0):
            return unit
    return "second"


def _precision(frame: pd.DataFrame, text: pd.Series, spec: FeedSpec) -> pd.Series:
    """How precise each row's time is: day, hour, minute or second (what the source gave, not what it padded)."""
    time = spec.time
    assert time is not None
    if time.row_clock is not None:
        return pd.Series(_precision_of_step(pd.Timedelta(time.row_clock.step)), index=frame.index, dtype=object)
    if time.parts is not None:
        finest = "minute" if "minute" in time.parts else "hour" if "hour" in time.parts else "day"
        return pd.Series(finest, index=frame.index, dtype=object)
    if time.epoch is not None:
        return pd.Series("second", index=frame.index, dtype=object)
    if time.format is not None:
        return pd.Series(precision_of_format(time.format), index=frame.index, dtype=object)
    parts = text.astype("string").str.replace(AWARE, "", regex=True).str.strip().str.extract(ISO_TIME)
    return pd.Series(
        np.select([parts[0].isna(), parts[1].isna(), parts[2].isna()], ["day", "hour", "minute"], default="second"),
        index=frame.index,
        dtype=object,
    )


def _timestamps(frame: pd.DataFrame, spec: FeedSpec, markers: set[str]) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """UTC times, a reason per row that has none (INVALID/NAIVE), its detail, and each time's precision."""
    time = spec.time
    assert time is not None
    index = frame.index
    reason = pd.Series(None, index=index, dtype="object")
    detail = pd.Series(None, index=index, dtype="object")
    result = pd.Series(pd.NaT, index=index, dtype="datetime64[us, UTC]")
    if time.row_clock is not None:
        steps = data_row_index(frame[LINE], spec)
        offsets = steps * pd.Timedelta(time.row_clock.step)
        if time.row_clock.counts == "elapsed":  # real time: count from the start's instant, in UTC
            start = pd.Timestamp(time.row_clock.start).tz_localize(time.timezone, ambiguous=True).tz_convert("UTC")
            result = pd.Series(pd.DatetimeIndex(start + offsets), index=index).astype("datetime64[us, UTC]")
            naive = pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
            aware = pd.Series(True, index=index)
        else:
            naive = pd.Series(pd.DatetimeIndex(pd.Timestamp(time.row_clock.start) + offsets), index=index)
            aware = pd.Series(False, index=index)
        text = naive  # only formatted for the rows that need a message
    elif time.parts is not None:
        parts = {k: numbers(stripped(frame[c], markers)) for k, c in time.parts.items()}
        whole = pd.DataFrame(parts)
        ok = whole.notna().all(axis=1) & (whole == whole.round()).all(axis=1)
        text = pd.Series([None] * len(index), index=index, dtype=object)
        raw_parts = pd.DataFrame({k: frame[c] for k, c in time.parts.items()})
        naive = pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
        if ok.any():
            given = whole[ok].astype("int64")
            stamp = pd.to_datetime(
                {k: given[k] for k in ("year", "month", "day")} | {k: given[k] for k in ("hour", "minute") if k in given},
                errors="coerce",
            )
            naive[ok] = stamp
        aware = pd.Series(False, index=index)
    elif time.epoch is not None:  # a count since 1970-01-01 UTC: aware by definition
        text = stripped(frame[time.column], markers)
        counts = numbers(text)
        inside = counts.abs() < 1e11 * (1000 if time.epoch == "ms" else 1)  # pandas' range, about 5,000 years
        result[inside] = pd.to_datetime(counts[inside], unit=time.epoch, utc=True, errors="coerce")
        naive = pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
        aware = pd.Series(True, index=index)
    else:
        text = stripped(frame[time.column], markers)
        if time.offsets == "ignore":  # local clock times exported with a Z or an offset: drop it, read the clock
            text = text.str.replace(AWARE, "", regex=True).str.rstrip()
        aware = _matches(text, AWARE)
        plain = text.notna() & ~aware  # read in one pass over the column: the other rows as missing
        naive = by_distinct(
            text.where(plain), lambda t: pd.to_datetime(t, format=time.format or "ISO8601", errors="coerce")
        ).astype("datetime64[us]")
        if aware.any():
            result[aware] = pd.to_datetime(text[aware], format=time.format or "ISO8601", errors="coerce", utc=True)
    if time.parts is not None:

        def describe(mask: pd.Series) -> list[str]:
            return ["-".join(str(v) for v in row) for row in raw_parts[mask].itertuples(index=False, name=None)]
    else:

        def describe(mask: pd.Series) -> list[str]:
            shown = text[mask]
            return [str(v) for v in shown.astype(object).where(shown.notna(), None)]

    have_naive = naive.notna() & ~aware
    if have_naive.any():
        if time.timezone is None:
            reason[have_naive] = Reason.NAIVE_TIMESTAMP.value
            detail[have_naive] = [f"{v!r} has no time zone and the feed declares none" for v in describe(have_naive)]
        else:
            choice = {"quarantine": "NaT", "earliest": True, "latest": False}[time.ambiguous]
            clock = naive.where(have_naive)  # every row at once, NaT passes through: no masked copies
            if choice == "NaT":
                localized = clock.dt.tz_localize(time.timezone, ambiguous="NaT", nonexistent="NaT")
            else:  # pandas wants one flag per value: True = the first (DST) occurrence
                localized = clock.dt.tz_localize(time.timezone, ambiguous=np.full(len(clock), choice), nonexistent="NaT")
            result = result.where(~have_naive, localized.dt.tz_convert("UTC").astype(result.dtype))
            lost = have_naive & result.isna()
            if lost.any():
                reason[lost] = Reason.INVALID_TIMESTAMP.value
                detail[lost] = [f"{v!r} does not exist, or occurs twice, in {time.timezone}" for v in describe(lost)]
    bad = result.isna() & reason.isna()
    reason[bad] = Reason.INVALID_TIMESTAMP.value
    detail[bad] = [f"no such time: {v!r}" for v in describe(bad)]
    precision = _precision(frame, text if time.column is not None else pd.Series(None, index=index, dtype=object), spec)
    return result, reason, detail, precision


def _coordinates(
    frame: pd.DataFrame, spec: FeedSpec, context: FeedContext, markers: set[str], rejections: _Rejections
) -> pd.DataFrame:
    """WGS84 points with district and grid cell; impossible points rejected with their reason."""
    assert spec.coordinates is not None and spec.geo is not None
    lat_text = stripped(frame[spec.coordinates.latitude], markers)
    lon_text = stripped(frame[spec.coordinates.longitude], markers)
    lat, lon = numbers(lat_text), numbers(lon_text)
    not_number = (lat_text.notna() & lat.isna()) | (lon_text.notna() & lon.isna())
    rejections.add(
        not_number,
        Reason.TYPE_MISMATCH,
        lambda m: [f"coordinates ({a!r}, {o!r}) are not numbers" for a, o in zip(lat_text[m], lon_text[m])],
    )
    rejections.add(lat.isna() | lon.isna(), Reason.MISSING_COORDINATES, "latitude or longitude is missing")
    rejections.add((lat == 0) & (lon == 0), Reason.NULL_ISLAND, "(0, 0) is a placeholder, not a place")
    wlat, wlon = crs.to_wgs84(lat.to_numpy(), lon.to_numpy(), spec.coordinates.crs)

    def in_city(a: np.ndarray, o: np.ndarray) -> np.ndarray:
        lo_lat, lo_lon, hi_lat, hi_lon = spec.geo.boundary or geo.extent(context.districts or [])  # type: ignore[union-attr]
        return (a >= lo_lat) & (a <= hi_lat) & (o >= lo_lon) & (o <= hi_lon)

    city = in_city(wlat, wlon)
    outside = pd.Series(~city, index=frame.index) & lat.notna() & lon.notna()
    rejections.add(
        outside & pd.Series(in_city(wlon, wlat), index=frame.index),
        Reason.SWAPPED_COORDINATES,
        lambda m: [f"({a}, {o}) lies in the city only with latitude and longitude swapped" for a, o in zip(lat[m], lon[m])],
    )

    def outside_city(mask: pd.Series) -> list[str]:
        crs_name, shown = spec.coordinates.crs, zip(lat[mask], lon[mask], wlat[mask.to_numpy()], wlon[mask.to_numpy()])  # type: ignore[union-attr]
        if crs_name == "wgs84":
            return [f"({a}, {o}) is outside the city" for a, o, _, _ in shown]
        return [f"({a}, {o}) in {crs_name}, WGS84 ({wa:.5f}, {wo:.5f}), is outside the city" for a, o, wa, wo in shown]

    rejections.add(outside, Reason.OUT_OF_CITY, outside_city)
    if context.districts:  # in the city but in no district: kept, with a null district and the flag
        district = geo.locate(wlat, wlon, context.districts)
        outside_districts = pd.array([d is None for d in district], dtype="boolean")
    else:
        district = np.full(len(frame), None, dtype=object)
        outside_districts = pd.array([None] * len(frame), dtype="boolean")
    return pd.DataFrame(
        {
            "latitude": wlat,
            "longitude": wlon,
            "district": district,
            "outside_districts": outside_districts,
            "grid_cell": geo.grid_cell(wlat, wlon, spec.geo.grid_degrees),
        },
        index=frame.index,
    )


def _reshaped(records: pd.DataFrame, spec: FeedSpec) -> pd.DataFrame:
    """Wide to long: one row per (record, melted column); ids and attributes stay on every row."""
    assert spec.reshape is not None
    reshape = spec.reshape
    ids = [*reshape.id_columns, *reshape.attributes, LINE]
    melted = [
        c for c in records.columns if c not in ids and (reshape.melt is None or any(fnmatchcase(c, p) for p in reshape.melt))
    ]
    long = records.melt(id_vars=ids, value_vars=melted, var_name=reshape.variable_name, value_name=reshape.value_name)
    if reshape.row_index_name:
        long[reshape.row_index_name] = data_row_index(long[LINE], spec).astype(str)
    if reshape.column_index_name:
        positions = {name: i for i, name in enumerate(melted)}
        long[reshape.column_index_name] = long[reshape.variable_name].map(positions).astype(str)
    return long.sort_values([LINE, reshape.variable_name], kind="stable").reset_index(drop=True)


def data_row_index(lines: pd.Series, spec: FeedSpec) -> pd.Series:
    """0-based position of each record among the file's data rows (its line minus the header)."""
    return (lines - spec.header_lines - 1).astype("int64")


def record_ids(records: pd.DataFrame, seen: dict[str, int] | None = None) -> list[str]:
    """Ids for sources without one: a hash of the record and of how many equal records came before it.

    Two identical records (two victims of one assault, say) keep two ids; the same file delivered again
    gets the same ids, so a re-delivery replaces rather than duplicates. `seen` carries the counts from one
    chunk of a file to the next.
    """
    seen = {} if seen is None else seen
    ids = []
    for values in records[[c for c in records.columns if c != LINE]].itertuples(index=False, name=None):
        digest = hashlib.sha256(repr(values).encode()).hexdigest()
        occurrence = seen.get(digest, 0)
        seen[digest] = occurrence + 1
        ids.append(hashlib.sha256(f"{digest}:{occurrence}".encode()).hexdigest()[:20])
    return ids


def _file_rejected(error: FileRejected, content: bytes) -> Standardized:
    rejects = rejects_frame([(error.reason, error.detail, 0, printable(content[:300].decode("utf-8", "replace")))])
    return Standardized(pd.DataFrame(), rejects, rows_in=1, rows_deduplicated=0, notes=[str(error)])


@dataclass(frozen=True)
class Candidates:
    """Rows of one file (or chunk) that passed every check but dedup, and the fields of every record as delivered.

    The delivered fields are kept apart, unfiltered: dedup needs them only for the rows that share a key (to tell a
    true copy from a look-alike, and to quarantine a conflict as delivered), so copying them for every clean row
    would cost more than the rest of dedup (a fifth of standardizing a file of numbers)."""

    rows: pd.DataFrame  # the dataset's columns
    delivered: pd.DataFrame  # SOURCE_PREFIX + each delivered field, for every parsed record (rows' index labels)
    rejects: pd.DataFrame
    rows_in: int
    encoding: str | None
    validation: dict[str, Any] | None = None  # GX's result on these rows (Suite.check_rows)

    def with_delivered(self) -> pd.DataFrame:
        """The rows with their delivered fields beside them: for rows that travel (spilled to meet other chunks')."""
        return self.rows.join(self.delivered)


SOURCE_PREFIX = "__source__"


def standardize(content: bytes, spec: FeedSpec, suite: Suite, context: FeedContext) -> Standardized:
    """Parse, type, convert, locate, validate and deduplicate one delivered file of a feed."""
    if not content:
        return Standardized(spec.canonical.arrow_schema.empty_table().to_pandas(), rejects_frame([]), 0, 0, notes=["empty file"])
    try:
        candidates = standardize_rows(content, spec, suite, context)
    except FileRejected as error:
        return _file_rejected(error, content)
    clean, conflicts, dropped = deduplicate_candidates(candidates.rows, spec, candidates.delivered)
    rejects = (
        pd.concat([r for r in (candidates.rejects, conflicts) if len(r)], ignore_index=True)
        if (len(candidates.rejects) or len(conflicts))
        else rejects_frame([])
    )
    return Standardized(
        clean=clean,
        rejects=rejects.sort_values(LINE, kind="stable").reset_index(drop=True),
        rows_in=candidates.rows_in,
        rows_deduplicated=sum(dropped.values()),
        deduplicated_by_reason=dropped,
        gaps=count_gaps(gap_extents(clean, spec), spec),
        encoding=candidates.encoding,
        validations=[candidates.validation] if candidates.validation else [],
    )


def standardize_rows(
    content: bytes,
    spec: FeedSpec,
    suite: Suite,
    context: FeedContext,
    line_offset: int = 0,
    seen_records: dict[str, int] | None = None,
) -> Candidates:
    """Every check but dedup, for a whole file or one chunk of it (`line_offset` lines into the file)."""
    dataset: Table = spec.canonical
    markers = set(spec.null_markers)
    parsed = read_records(content, spec, required_source_columns(spec))
    if line_offset:
        parsed.records[LINE] += line_offset
        parsed.rejects[LINE] += line_offset
    delivered = _reshaped(parsed.records, spec) if spec.reshape is not None else parsed.records
    records = add_derived(delivered, derived_rules(spec))
    rejections = _Rejections(records.index)
    columns: dict[str, pd.Series] = {}
    for name, mapping in spec.columns.items():
        target = dataset.column(name)
        constant = spec.civil_timezone if mapping.from_feed == "timezone" else mapping.constant
        if constant is not None and target.type == "string":
            columns[name] = pd.Series(constant, index=records.index, dtype=object)
            continue
        values, problem = _typed(  # a constant is typed like a delivered value: "5" into an int column is 5
            records[mapping.source] if constant is None else pd.Series(constant, index=records.index, dtype=object),
            target,
            set(mapping.null_markers or markers),
            mapping.unit,
            mapping.zero_is_missing,
            mapping.source or name,
            spec.time.timezone if spec.time is not None else None,
            mapping.format,
        )
        rejections.add(problem.notna(), Reason.TYPE_MISMATCH, problem)
        if mapping.pseudonymize:
            if not context.pseudonym_key:
                raise PseudonymKeyMissing(
                    f"feed {spec.name} pseudonymizes {name} but no key is configured: set CITYLAKE_PSEUDONYM_KEY "
                    "or the Airflow connection citylake_pseudonym (password = the key)"
                )
            values = pseudonymize(values, context.pseudonym_key, mapping.pseudonymize)
        columns[name] = values
    frame = pd.DataFrame(columns, index=records.index)
    time = spec.time
    if time is not None and dataset.time_column:
        stamps, reason, detail, precision = _timestamps(records, spec, markers)
        for code in (Reason.NAIVE_TIMESTAMP, Reason.INVALID_TIMESTAMP):
            rejections.add(reason == code.value, code, detail)
        if PRECISION in dataset.names:
            frame[PRECISION] = precision
        else:  # a date alone would become a midnight that never happened
            rejections.add(
                stamps.notna() & (precision == "day"),
                Reason.IMPRECISE_TIMESTAMP,
                f"the time is a date without a time of day, and {dataset.name} has no {PRECISION} column to say so",
            )
        earliest = pd.Timestamp(time.not_before, tz="UTC")
        latest = pd.Timestamp(context.arrived_at).tz_convert("UTC") + pd.Timedelta(time.max_future)
        rejections.add(
            stamps < earliest,
            Reason.ANCIENT_TIMESTAMP,
            lambda m: [f"{t:%Y-%m-%dT%H:%M}Z is before {time.not_before}" for t in stamps[m]],
        )
        rejections.add(
            stamps > latest,
            Reason.FUTURE_TIMESTAMP,
            lambda m: [
                f"{t:%Y-%m-%dT%H:%M}Z is after the file arrived ({latest - pd.Timedelta(time.max_future):%Y-%m-%dT%H:%M}Z)"
                for t in stamps[m]
            ],
        )
        frame[dataset.time_column] = stamps
        if "local_date" in dataset.names and time.timezone:
            local = stamps.dt.tz_convert(time.timezone)
            frame["local_date"] = local.dt.date.where(stamps.notna(), None)
            frame["local_hour"] = local.dt.hour.astype("Int8")
    if spec.coordinates is not None:
        frame = frame.join(_coordinates(records, spec, context, markers, rejections))
    file_key = spec.file_key
    if file_key is not None:
        match = re.search(file_key.pattern, context.file_name)
        expected = match.group("value") if match else None
        column = frame[file_key.column]
        if expected is None:
            rejections.add(
                pd.Series(True, index=frame.index),
                Reason.FILE_KEY_MISMATCH,
                f"file name {context.file_name!r} does not match {file_key.pattern!r}",
            )
        else:
            rejections.add(
                column.notna() & (column != expected),
                Reason.FILE_KEY_MISMATCH,
                lambda m: [f"{file_key.column}={v!r} in the file of {file_key.column} {expected!r}" for v in column[m]],
            )
    if spec.id_from_hash:
        frame[spec.id_from_hash] = record_ids(delivered, seen_records)
    if "pollutants_missing" in dataset.names:
        pollutants = [f.name for f in dataset.columns if f.unit in ("ug/m3", "mg/m3")]
        frame["pollutants_missing"] = frame[pollutants].isna().sum(axis=1).astype("int8")
    frame["source_file"] = context.file_name
    frame[LINE] = records[LINE]
    for name in dataset.names:
        if name not in frame.columns:  # not delivered: missing, a float column as NaN (cheap to carry, to compare)
            frame[name] = np.nan if dataset.column(name).type == "float" else None
    verdict = suite.check_rows(frame)  # Great Expectations decides which rows are valid
    for code in dict.fromkeys(verdict.reason.dropna()):
        rejections.add(verdict.reason == code, code, verdict.detail)
    for key in dataset.key:
        rejections.add(frame[key].isna(), Reason.MISSING_VALUE, f"key column {key} is missing")

    failed = ~rejections.standing
    raw_columns = [c for c in delivered.columns if c != LINE]  # the record as delivered: no derived column
    rejected = [
        parsed.rejects,
        pd.DataFrame(
            {
                "reason_code": rejections.reason[failed].astype(object),
                "reason_detail": rejections.detail[failed].astype(object),
                LINE: records.loc[failed, LINE],
                RAW: pd.Series(raw_records(records[failed], raw_columns), index=records.index[failed], dtype=object),
            }
        ),
    ]
    kept = frame.loc[~failed, dataset.names] if failed.any() else frame[dataset.names]
    delivered_fields = records[raw_columns].rename(columns=lambda c: f"{SOURCE_PREFIX}{c}")
    rejects = (
        pd.concat([r for r in rejected if len(r)], ignore_index=True) if any(len(r) for r in rejected) else rejects_frame([])
    )
    rows_in = len(parsed.rejects) + len(records)
    return Candidates(kept, delivered_fields, rejects, rows_in, parsed.encoding, verdict.validation)


def deduplicate_candidates(
    rows: pd.DataFrame, spec: FeedSpec, delivered: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Clean rows, the conflicting ones as rejects, and how many rows were dropped by why (the feed's policy).

    The delivered fields are either columns of `rows` (SOURCE_PREFIX: rows that were spilled) or `delivered`, by
    the rows' index labels (Candidates.delivered); either way they are joined to the rows that share a key alone."""
    dataset = spec.canonical
    policy = spec.duplicates
    key = list(dataset.key)
    payload = [n for n in dataset.names if n not in (*dataset.key, *LINEAGE, *DERIVED, policy.count_into)]
    if delivered is None:
        fields = [c for c in rows.columns if c.startswith(SOURCE_PREFIX)]
        rows, delivered = rows.drop(columns=fields), rows[fields]
    # a row whose key no other row has is neither a copy nor a clash, whatever the policy: it stays as it is
    shared = rows.duplicated(subset=key, keep=False).to_numpy()
    sources = list(delivered.columns)
    together = rows[shared].join(delivered)
    dedup = deduplicate(together, key, payload, sources, policy.policy, policy.latest_by, policy.count_into)
    dropped = together.index.difference(dedup.kept.index)
    kept = rows.drop(index=dropped) if len(dropped) else rows
    if policy.policy == "merge" and policy.count_into:
        counts = np.ones(len(kept), dtype=np.int64)
        counts[kept.index.get_indexer(dedup.kept.index)] = dedup.kept[policy.count_into].to_numpy()
        kept = kept.assign(**{policy.count_into: counts})
    conflicts = rejects_frame([])
    if len(dedup.conflicts):
        keys = dedup.conflicts[key].astype(str).agg(", ".join, axis=1)
        conflicts = pd.DataFrame(
            {
                "reason_code": Reason.DUPLICATE_KEY_CONFLICT.value,
                "reason_detail": [f"another row has the key ({k}) with different values" for k in keys],
                LINE: dedup.conflicts[LINE],
                RAW: raw_records(dedup.conflicts, sources),
            }
        )
    clean = in_order(kept[dataset.names], [*key, LINE]).reset_index(drop=True)
    return clean, conflicts, {_source_names(reason): n for reason, n in dedup.removed.items()}


def _source_names(reason: str) -> str:
    """A dedup reason with the delivered columns' own names (without the engine's prefix)."""
    return reason.replace(SOURCE_PREFIX, "")


def gap_extents(clean: pd.DataFrame, spec: FeedSpec) -> pd.DataFrame:
    """Per entity of a regular series: first and last time and how many steps are present (combinable)."""
    dataset = spec.canonical
    if spec.time is None or not spec.time.expected_interval or not dataset.time_column or clean.empty:
        return pd.DataFrame(columns=["entity", "first", "last", "present"])
    entity = [k for k in dataset.key if k != dataset.time_column]
    times = clean[dataset.time_column]
    # grouped by the entity's columns themselves; only each group's label is text ("a|b" for a key of two columns)
    grouped = times.groupby([clean[k] for k in entity], dropna=False) if entity else times.groupby(np.zeros(len(clean)))
    extents = pd.DataFrame({"first": grouped.min(), "last": grouped.max(), "present": grouped.nunique()})
    labels = ["|".join(map(str, k if isinstance(k, tuple) else (k,))) if entity else "" for k in extents.index]
    return extents.set_axis(pd.Index(labels, name="entity")).reset_index()


def count_gaps(extents: pd.DataFrame, spec: FeedSpec) -> int:
    """Missing steps of each entity's regular series, from (possibly several chunks') extents."""
    if extents.empty or spec.time is None or not spec.time.expected_interval:
        return 0
    combined = extents.groupby("entity").agg(first=("first", "min"), last=("last", "max"), present=("present", "sum"))
    step = pd.Timedelta(spec.time.expected_interval)
    expected = ((combined["last"] - combined["first"]) / step).astype("int64") + 1
    return int((expected - combined["present"]).sum())
