"""From delivered bytes to records: decompression (with a bomb guard), encodings, and every format a feed may use."""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from pipelines.cleanse.records import LINE, DelimitedRead, raw_record, read_delimited, rejects_frame
from pipelines.lake.ingest import GZIP_MAGIC
from pipelines.sources.spec import FeedSpec
from pipelines.validate.reasons import Reason

ZIP_MAGIC = b"PK\x03\x04"
MAX_JSON_DEPTH = 64


class FileRejected(ValueError):
    """The whole file is unusable (corrupt archive, bomb, unreadable workbook): one quarantine row says why."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def decompress(content: bytes, mode: str, limit_bytes: int) -> bytes:
    """The file's payload: gunzipped or unzipped (one member) when it is compressed, never beyond `limit_bytes`."""
    kind = mode
    if mode == "auto":
        kind = "gzip" if content.startswith(GZIP_MAGIC) else "zip" if content.startswith(ZIP_MAGIC) else "none"
    if kind == "none":
        return content
    if kind == "gzip":
        decoder = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            out = decoder.decompress(content, limit_bytes + 1)
        except zlib.error as exc:
            raise FileRejected(Reason.CORRUPT_ARCHIVE, f"gzip: {exc}") from None
        if len(out) > limit_bytes or decoder.unconsumed_tail:
            raise FileRejected(Reason.DECOMPRESSION_LIMIT, f"expands beyond {limit_bytes:,} bytes")
        if not decoder.eof:
            raise FileRejected(Reason.CORRUPT_ARCHIVE, "gzip: truncated stream")
        return out
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise FileRejected(Reason.CORRUPT_ARCHIVE, f"zip holds {len(members)} files, expected exactly 1")
            if members[0].file_size > limit_bytes:
                raise FileRejected(Reason.DECOMPRESSION_LIMIT, f"expands to {members[0].file_size:,} bytes")
            with archive.open(members[0]) as handle:
                out = handle.read(limit_bytes + 1)
            if len(out) > limit_bytes:
                raise FileRejected(Reason.DECOMPRESSION_LIMIT, f"expands beyond {limit_bytes:,} bytes")
            return out
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise FileRejected(Reason.CORRUPT_ARCHIVE, f"zip: {exc}") from None


def decode(content: bytes, encoding: str) -> tuple[str, str]:
    """Text and the encoding used. 'auto': a BOM, else UTF-8 unless many lines are not UTF-8 but are GB18030.

    Undecodable bytes are kept as surrogates so the rows holding them can be quarantined one by one.
    """
    if encoding != "auto":
        chosen = encoding
    elif content.startswith(b"\xef\xbb\xbf"):
        chosen = "utf-8-sig"
    else:
        lines = content.splitlines()
        bad = sum(1 for line in lines if not _decodes(line, "utf-8"))
        chosen = "utf-8"
        if bad and bad > 0.01 * len(lines) and all(_decodes(line, "gb18030") for line in lines):
            chosen = "gb18030"
    return content.decode(chosen, errors="surrogateescape"), chosen


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


@dataclass(frozen=True)
class Parsed:
    """Records as delivered (source column names), the rejected ones, and how many came in."""

    records: pd.DataFrame
    rejects: pd.DataFrame
    rows_in: int
    encoding: str | None = None


def _depth(value: object, limit: int = MAX_JSON_DEPTH) -> int:
    depth, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        depth = max(depth, level)
        if depth > limit:
            return depth
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return depth


def _flat(record: dict, prefix: str = "") -> dict:
    """Top-level keys, nested values kept as JSON text; and every nested object's keys by their dotted path
    (`position.lat`), so that a feed maps them like any column."""
    flat = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        flat[name] = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
        if isinstance(value, dict):
            flat.update(_flat(value, f"{name}."))
    return flat


def _records_frame(rows: list[dict], lines: list[int], required: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, dtype="object") if rows else pd.DataFrame(columns=list(required), dtype="object")
    for column in required:
        if column not in frame.columns:
            frame[column] = None
    frame[LINE] = pd.Series(lines, dtype="int64")
    return frame


def _json_objects(elements: list[tuple[int, object, str]], required: Sequence[str]) -> tuple[pd.DataFrame, list]:
    """Objects of known depth become records; anything else is rejected with its line."""
    rows, lines, rejects = [], [], []
    for line, value, text in elements:
        if not isinstance(value, dict):
            rejects.append((Reason.NOT_AN_OBJECT, f"a JSON {type(value).__name__}, expected an object", line, text[:2000]))
        elif _depth(value) > MAX_JSON_DEPTH:
            rejects.append((Reason.NESTING_TOO_DEEP, f"nested deeper than {MAX_JSON_DEPTH} levels", line, text[:2000]))
        else:
            rows.append(_flat(value))
            lines.append(line)
    return _records_frame(rows, lines, required), rejects


def read_json_lines(text: str, required: Sequence[str]) -> Parsed:
    """One JSON object per line; a line that is not valid JSON is rejected on its own."""
    elements, rejects, rows_in = [], [], 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        rows_in += 1
        try:
            elements.append((number, json.loads(line), line))
        except (json.JSONDecodeError, RecursionError) as exc:
            reason = Reason.ENCODING_ERROR if any("\udc80" <= c <= "\udcff" for c in line) else Reason.MALFORMED_JSON
            rejects.append((reason, str(exc)[:300], number, raw_record([line])))
    frame, more = _json_objects(elements, required)
    return Parsed(frame, rejects_frame(rejects + more), rows_in)


def read_json_array(text: str, required: Sequence[str], records_key: str | None) -> Parsed:
    """A JSON array; if it is cut short, every complete element before the break is kept, the rest rejected."""
    try:
        document = json.loads(text)
        if records_key is not None:
            document = document[records_key] if isinstance(document, dict) else None
        if not isinstance(document, list):
            raise FileRejected(Reason.MALFORMED_JSON, f"no array{' under ' + repr(records_key) if records_key else ''}")
        elements = [(index + 1, value, json.dumps(value, ensure_ascii=False)[:2000]) for index, value in enumerate(document)]
        frame, rejects = _json_objects(elements, required)
        return Parsed(frame, rejects_frame(rejects), len(document))
    except RecursionError:
        raise FileRejected(Reason.NESTING_TOO_DEEP, "the document nests too deeply to parse") from None
    except json.JSONDecodeError:
        if records_key is not None:
            raise FileRejected(Reason.MALFORMED_JSON, "not valid JSON") from None
    # salvage a truncated top-level array element by element
    decoder, position, elements = json.JSONDecoder(), text.find("["), []
    if position < 0:
        raise FileRejected(Reason.MALFORMED_JSON, "not a JSON array")
    position += 1
    rejects = []
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] == "]":
            break
        try:
            value, end = decoder.raw_decode(text, position)
        except (json.JSONDecodeError, RecursionError) as exc:
            line = text.count("\n", 0, position) + 1
            rejects.append(
                (
                    Reason.MALFORMED_JSON,
                    f"truncated or broken from here: {str(exc)[:200]}",
                    line,
                    text[position : position + 2000],
                )
            )
            break
        elements.append((text.count("\n", 0, position) + 1, value, text[position:end][:2000]))
        position = end
    frame, more = _json_objects(elements, required)
    return Parsed(frame, rejects_frame(rejects + more), len(elements) + len(rejects))


def read_geojson(text: str, required: Sequence[str]) -> Parsed:
    """Features of a FeatureCollection: properties plus `longitude`/`latitude` of a Point geometry, and `z`, its third
    position value where it has one (RFC 7946: altitude or elevation; USGS puts an earthquake's depth in km there),
    and `feature_id`, the feature's own `id` where it has one."""
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise FileRejected(Reason.MALFORMED_JSON, f"GeoJSON: {str(exc)[:200]}") from None
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        raise FileRejected(Reason.MALFORMED_JSON, "GeoJSON without a 'features' array")
    rows, lines, rejects = [], [], []
    for index, feature in enumerate(features, start=1):
        geometry = (feature or {}).get("geometry") or {}
        coords = geometry.get("coordinates")
        if geometry.get("type") != "Point" or not isinstance(coords, list) or len(coords) < 2:
            rejects.append((Reason.GEOMETRY_NOT_POINT, f"geometry {geometry.get('type')!r}", index, json.dumps(feature)[:2000]))
            continue
        point = {"longitude": coords[0], "latitude": coords[1], **({"z": coords[2]} if len(coords) > 2 else {})}
        named = {"feature_id": feature["id"]} if feature.get("id") is not None else {}
        rows.append({**_flat(feature.get("properties") or {}), **point, **named})
        lines.append(index)
    return Parsed(_records_frame(rows, lines, required), rejects_frame(rejects), len(features))


def read_excel(content: bytes, sheet: str | int, header_row: int, required: Sequence[str]) -> Parsed:
    """One sheet of an .xlsx workbook; source_line is the spreadsheet's row number."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise FileRejected(Reason.CORRUPT_ARCHIVE, f"xlsx: {type(exc).__name__}: {exc}") from None
    try:
        worksheet = workbook[sheet] if isinstance(sheet, str) else workbook.worksheets[sheet]
    except (KeyError, IndexError):
        raise FileRejected(Reason.HEADER_MISMATCH, f"xlsx has no sheet {sheet!r}") from None
    rows_iter = worksheet.iter_rows(min_row=header_row, values_only=True)
    header = [str(h).strip() if h is not None else f"col_{i + 1}" for i, h in enumerate(next(rows_iter, ()) or ())]
    missing = [c for c in required if c not in header]
    rows, lines, rejects, rows_in = [], [], [], 0
    for number, values in enumerate(rows_iter, start=header_row + 1):
        if values is None or all(v is None for v in values):
            continue
        rows_in += 1
        if missing:
            rejects.append((Reason.HEADER_MISMATCH, f"header lacks {', '.join(map(repr, missing))}", number, raw_record(values)))
            continue
        rows.append({h: (None if v is None else str(v)) for h, v in zip(header, values)})
        lines.append(number)
    workbook.close()
    return Parsed(_records_frame(rows, lines, required), rejects_frame(rejects), rows_in)


def read_parquet(content: bytes, required: Sequence[str]) -> Parsed:
    """A Parquet file; source_line is the row's position (1-based)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(content))
    except (pa.ArrowInvalid, OSError) as exc:
        raise FileRejected(Reason.CORRUPT_ARCHIVE, f"parquet: {exc}") from None
    frame = table.to_pandas().astype("object")
    frame = frame.where(frame.notna(), None)
    missing = [c for c in required if c not in frame.columns]
    lines = list(range(1, len(frame) + 1))
    if missing:
        rejects = [
            (Reason.HEADER_MISMATCH, f"columns lack {', '.join(map(repr, missing))}", line, raw_record(values))
            for line, values in zip(lines, frame.itertuples(index=False, name=None))
        ]
        return Parsed(_records_frame([], [], required), rejects_frame(rejects), len(frame))
    frame[LINE] = pd.Series(lines, dtype="int64")
    return Parsed(frame.reset_index(drop=True), rejects_frame([]), len(frame))


def read_records(content: bytes, spec: FeedSpec, required: Sequence[str]) -> Parsed:
    """Records of one delivered file by its feed's format; a wholly unusable file raises FileRejected."""
    fmt = spec.format
    # an .xlsx workbook is itself a zip archive: only an explicit `compression` unpacks one
    mode = "none" if fmt.type == "xlsx" and spec.compression == "auto" else spec.compression
    payload = decompress(content, mode, spec.max_decompressed_mib * 1024 * 1024)
    if fmt.type == "xlsx":
        return read_excel(payload, fmt.sheet, fmt.header_row, required)
    if fmt.type == "parquet":
        return read_parquet(payload, required)
    text, encoding = decode(payload, spec.encoding)
    if fmt.type in ("csv", "tsv"):
        read: DelimitedRead = read_delimited(text, required, fmt.separator, fmt.quotechar, fmt.header)
        return Parsed(read.records, read.rejects, read.rows_in, encoding)
    if fmt.type == "jsonl":
        parsed = read_json_lines(text, required)
    elif fmt.type == "json":
        parsed = read_json_array(text, required, fmt.records_key)
    else:
        parsed = read_geojson(text, required)
    return Parsed(parsed.records, parsed.rejects, parsed.rows_in, encoding)
