"""Reading delimited text line-accurately: every record is kept, or rejected with a reason and its line."""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv

from pipelines.validate.reasons import Reason

_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes that surrogateescape kept from an invalid sequence
LINE = "source_line"
RAW = "raw_record"
REJECT_COLUMNS = ["reason_code", "reason_detail", LINE, RAW]


@dataclass(frozen=True)
class DelimitedRead:
    """The records of one file: well-formed ones as strings, the rest as rejects with reasons."""

    records: pd.DataFrame  # one column per header field (strings), plus source_line
    rejects: pd.DataFrame  # REJECT_COLUMNS
    rows_in: int


def lacking(missing: list[str], columns: list[str]) -> str:
    """The missing column names, each with the nearest name the file has ('speed_mhp' (nearest: 'speed_mph'))."""
    named = []
    for name in missing:
        nearest = difflib.get_close_matches(name, columns, n=1, cutoff=0.75)
        named.append(f"{name!r} (nearest: {nearest[0]!r})" if nearest else repr(name))
    return ", ".join(named)


def rejects_frame(rows: Sequence[tuple[str, str, int, str]]) -> pd.DataFrame:
    """A frame of rejected rows: (reason_code, reason_detail, source_line, raw_record)."""
    frame = pd.DataFrame(list(rows), columns=REJECT_COLUMNS)
    return frame.astype({"reason_code": "object", "reason_detail": "object", LINE: "int64", RAW: "object"})


def raw_record(fields: Sequence[object]) -> str:
    """A record as delivered, kept as text: the JSON list of its fields."""
    return printable(json.dumps(list(fields), ensure_ascii=False, default=str))


def raw_records(records: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """The delivered form of well-formed records (for those rejected later by type or rule checks)."""
    return [raw_record(values) for values in records[list(columns)].itertuples(index=False, name=None)]


def printable(text: str) -> str:
    """Text safe to store: undecodable bytes become U+FFFD, NUL bytes are dropped."""
    return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace").replace("\x00", "")


def _regular_file(
    text: str, required_columns: Sequence[str], delimiter: str, quotechar: str, header: bool
) -> DelimitedRead | None:
    """The fast path for a well-formed file (Arrow's CSV parser); None when anything needs the careful path.

    Well-formed: decodable, no NUL, one record per line, no blank line, every record with the header's
    field count, every required column present. Then line numbers follow from row positions.
    """
    if not text or "\x00" in text or (not text.isascii() and _UNDECODABLE.search(text)):
        return None
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return None  # a lone carriage return
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    first = next(csv.reader([text[: text.find("\n")].rstrip("\r")], delimiter=delimiter, quotechar=quotechar), [])
    raw_names = first if header else [f"f{i}" for i in range(len(first))]
    names = [c.strip() for c in first] if header else [f"col_{i + 1}" for i in range(len(first))]
    if not first or len(set(raw_names)) != len(raw_names) or len(set(names)) != len(names):
        return None
    if any(c not in names for c in required_columns):
        return None
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(autogenerate_column_names=not header, use_threads=False),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, quote_char=quotechar or False, newlines_in_values=False, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(  # every column as the text it was delivered as
                column_types={n: pa.string() for n in raw_names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
                auto_dict_encode=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeError):
        return None
    if table.num_rows + (1 if header else 0) != lines or table.column_names != raw_names:
        return None
    if _any_blank_row(table):
        return None  # a blank line carries no row: the careful path skips it and keeps the line numbers
    frame = table.rename_columns(names).to_pandas()
    frame[LINE] = pd.Series(range(2 if header else 1, table.num_rows + (2 if header else 1)), dtype="int64")
    return DelimitedRead(frame, rejects_frame([]), table.num_rows)


def _any_blank_row(table: pa.Table) -> bool:
    """Whether a row has every field empty: a blank line as Arrow reads it (or a record of empty fields, which the
    careful path reads as well)."""
    if table.num_rows == 0:
        return False
    blank = pc.equal(pc.binary_length(table.column(0)), 0)
    for column in table.columns[1:]:
        blank = pc.and_(blank, pc.equal(pc.binary_length(column), 0))
    return bool(pc.any(blank).as_py())


def read_delimited(
    text: str,
    required_columns: Sequence[str],
    delimiter: str = ",",
    quotechar: str = '"',
    header: bool = True,
    fast_path: bool = True,
) -> DelimitedRead:
    """Parse delimited text (decoded with surrogateescape); reject malformed records with their line."""
    regular = _regular_file(text, required_columns, delimiter, quotechar, header) if fast_path else None
    if regular is not None:
        return regular
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar)
    columns: list[str] | None = None
    header_line = 0
    good: list[list[str]] = []
    good_lines: list[int] = []
    rejects: list[tuple[str, str, int, str]] = []
    rows_in = 0
    previous_line = 0
    missing: list[str] = []
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a field larger than the csv module's limit
            rows_in += 1
            rejects.append((Reason.FIELD_COUNT_MISMATCH, f"unparseable record: {exc}", previous_line + 1, ""))
            previous_line = reader.line_num
            continue
        line = previous_line + 1  # where the record starts (a quoted field may span lines)
        previous_line = reader.line_num
        if not record or record == [""]:
            continue  # blank lines carry no row
        if columns is None:
            if header:
                columns, header_line = [c.strip() for c in record], line
                missing = [c for c in required_columns if c not in columns]
                continue
            columns = [f"col_{i + 1}" for i in range(len(record))]
            missing = [c for c in required_columns if c not in columns]
        rows_in += 1
        joined = "".join(record)
        if not joined.isascii() and "\x00" not in joined and _UNDECODABLE.search(joined):
            rejects.append((Reason.ENCODING_ERROR, "bytes that are not valid in the file's encoding", line, raw_record(record)))
        elif "\x00" in joined:
            rejects.append((Reason.NUL_BYTE, "record contains a NUL byte", line, raw_record(record)))
        elif missing:
            rejects.append(
                (
                    Reason.HEADER_MISMATCH,
                    f"header at line {header_line} lacks {lacking(missing, columns)}",
                    line,
                    raw_record(record),
                )
            )
        elif len(record) != len(columns):
            rejects.append(
                (Reason.FIELD_COUNT_MISMATCH, f"{len(record)} fields, expected {len(columns)}", line, raw_record(record))
            )
        else:
            good.append(record)
            good_lines.append(line)
    frame = pd.DataFrame(good, columns=columns or list(required_columns), dtype="object")
    for column in required_columns:
        if column not in frame.columns:
            frame[column] = pd.Series(dtype="object")
    frame[LINE] = pd.Series(good_lines, dtype="int64")
    return DelimitedRead(frame, rejects_frame(rejects), rows_in)
