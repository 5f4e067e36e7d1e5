"""Reading delimited text line-accurately: every record is kept, or rejected with a reason and its line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from pipelines.validate.reasons import Reason

LINE = "source_line"
RAW = "raw_record"
REJECT_COLUMNS = ["reason_code", "reason_detail", LINE, RAW]


@dataclass(frozen=True)
class DelimitedRead:
    """The records of one file: well-formed ones as strings, the rest as rejects with reasons."""

    records: pd.DataFrame  # one column per header field (strings, None for empty), plus source_line, raw_record
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
        raw = json.dumps(record, ensure_ascii=False, default=str)
        joined = "".join(record)
        if "\x00" in joined:
            rejects.append((Reason.NUL_BYTE, "record contains a NUL byte", line, raw.replace("\\u0000", "")))
        elif any("\udc80" <= ch <= "\udcff" for ch in joined):
            rejects.append((Reason.ENCODING_ERROR, "bytes that are not valid UTF-8", line, _printable(raw)))
        elif list(header) != list(expected_header):
            rejects.append((Reason.HEADER_MISMATCH, f"header at line {header_line} is {header!r}", line, raw))
        elif len(record) != len(expected_header):
            rejects.append(
                (Reason.FIELD_COUNT_MISMATCH, f"{len(record)} fields, expected {len(expected_header)}", line, raw)
            )
        else:
            good.append(record)
            good_lines.append(line)
    records = pd.DataFrame(good, columns=list(expected_header), dtype="object")
    records[LINE] = pd.Series(good_lines, dtype="int64")
    records[RAW] = [json.dumps(r, ensure_ascii=False) for r in good]
    return DelimitedRead(records, rejects_frame(rejects), rows_in)


def _printable(text: str) -> str:
    """Replace undecodable bytes by U+FFFD so the raw record can be stored as text."""
    return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
