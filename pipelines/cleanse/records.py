"""Reading delimited text line-accurately: every record is kept, or rejected with a reason and its line."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

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


def read_delimited(
    text: str,
    required_columns: Sequence[str],
    delimiter: str = ",",
    quotechar: str = '"',
    header: bool = True,
) -> DelimitedRead:
    """Parse delimited text (decoded with surrogateescape); reject malformed records with their line."""
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
                (Reason.HEADER_MISMATCH, f"header at line {header_line} lacks {', '.join(map(repr, missing))}", line, raw_record(record))
            )
        elif len(record) != len(columns):
            rejects.append((Reason.FIELD_COUNT_MISMATCH, f"{len(record)} fields, expected {len(columns)}", line, raw_record(record)))
        else:
            good.append(record)
            good_lines.append(line)
    frame = pd.DataFrame(good, columns=columns or list(required_columns), dtype="object")
    for column in required_columns:
        if column not in frame.columns:
            frame[column] = pd.Series(dtype="object")
    frame[LINE] = pd.Series(good_lines, dtype="int64")
    return DelimitedRead(frame, rejects_frame(rejects), rows_in)
