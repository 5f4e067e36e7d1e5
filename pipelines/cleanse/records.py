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


def read_delimited(content: bytes, expected_header: Sequence[str], delimiter: str = ",") -> DelimitedRead:
    """Parse UTF-8 delimited text whose first line is `expected_header`; reject malformed records."""
    text = content.decode("utf-8-sig", errors="surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    expected = list(expected_header)
    header: list[str] | None = None
    header_line = 0
    good: list[list[str]] = []
    good_lines: list[int] = []
    rejects: list[tuple[str, str, int, str]] = []
    rows_in = 0
    previous_line = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a quoted field running past the end of the file
            rows_in += 1
            rejects.append((Reason.FIELD_COUNT_MISMATCH, f"unparseable record: {exc}", previous_line + 1, ""))
            break
        line = previous_line + 1  # where the record starts (a quoted field may span lines)
        previous_line = reader.line_num
        if not record or record == [""]:
            continue  # blank lines carry no row
        if header is None:
            header, header_line = record, line
            continue
        rows_in += 1
        joined = "".join(record)
        if not joined.isascii() and "\x00" not in joined and _UNDECODABLE.search(joined):
            rejects.append((Reason.ENCODING_ERROR, "bytes that are not valid UTF-8", line, _printable(raw_record(record))))
        elif "\x00" in joined:
            rejects.append((Reason.NUL_BYTE, "record contains a NUL byte", line, raw_record([f.replace("\x00", "") for f in record])))
        elif header != expected:
            rejects.append((Reason.HEADER_MISMATCH, f"header at line {header_line} is {header!r}", line, raw_record(record)))
        elif len(record) != len(expected):
            rejects.append(
                (Reason.FIELD_COUNT_MISMATCH, f"{len(record)} fields, expected {len(expected)}", line, raw_record(record))
            )
        else:
            good.append(record)
            good_lines.append(line)
    records = pd.DataFrame(good, columns=expected, dtype="object")
    records[LINE] = pd.Series(good_lines, dtype="int64")
    return DelimitedRead(records, rejects_frame(rejects), rows_in)


def raw_record(fields: Sequence[str]) -> str:
    """A record as delivered, kept as text: the JSON list of its fields."""
    return json.dumps(list(fields), ensure_ascii=False)


def raw_records(records: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """The delivered form of well-formed records (for those rejected later by type or rule checks)."""
    return [raw_record(values) for values in records[list(columns)].itertuples(index=False, name=None)]


def _printable(text: str) -> str:
    """Replace undecodable bytes by U+FFFD so the raw record can be stored as text."""
    return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
