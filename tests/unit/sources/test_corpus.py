"""The bad-input corpus: every row of every file ends clean, deduplicated, or quarantined with the right reason."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import zipfile
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.cleanse.geo import read_districts
from pipelines.config import PROJECT_ROOT
from pipelines.sources.spec import ExcelFormat, FeedSpec, ParquetFormat, load_feed
from pipelines.sources.standardize import FeedContext, Standardized, standardize
from pipelines.validate.suite import load_suite

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
ARRIVED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@cache
def feed(name: str) -> FeedSpec:
    return load_feed(CORPUS / "feeds" / f"{name}.yaml")


def run(spec: FeedSpec, content: bytes, file_name: str) -> Standardized:
    districts = read_districts(PROJECT_ROOT / spec.geo.districts.file, spec.geo.districts.name_field)  # type: ignore[union-attr]
    result = standardize(content, spec, load_suite(spec.suite), FeedContext(file_name, ARRIVED, districts))
    assert result.balanced, (result.rows_in, len(result.clean), len(result.rejects), result.rows_deduplicated)
    return result


def dispositions(result: Standardized) -> tuple[dict[str, str], int]:
    got = {str(line): "CLEAN" for line in result.clean["source_line"]}
    for line, reason in zip(result.rejects["source_line"], result.rejects["reason_code"]):
        assert str(line) not in got, f"line {line} is both clean and quarantined"
        got[str(line)] = reason
    return got, result.rows_deduplicated


def expected_of(name: str) -> tuple[dict[str, str], int]:
    wanted = dict(EXPECTED[name]["dispositions"])
    deduplicated = [line for line, d in wanted.items() if d == "DEDUPLICATED"]
    for line in deduplicated:
        del wanted[line]
    return wanted, len(deduplicated)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_row_of_the_corpus_has_its_disposition(name: str) -> None:
    spec = feed(EXPECTED[name]["feed"])
    result = run(spec, (CORPUS / name).read_bytes(), name)
    assert dispositions(result) == expected_of(name)
    assert result.rows_in == len(EXPECTED[name]["dispositions"])


def test_quarantined_rows_say_why_and_keep_what_was_delivered() -> None:
    result = run(feed("corpus_events"), (CORPUS / "events_utf8.csv").read_bytes(), "events_utf8.csv")
    detail = dict(zip(result.rejects["source_line"], result.rejects["reason_detail"]))
    raw = dict(zip(result.rejects["source_line"], result.rejects["raw_record"]))
    assert detail[4] == "3 fields, expected 7" or detail[4] == "4 fields, expected 7"
    assert detail[5] == "coordinates ('abc', '116.35') are not numbers"
    assert detail[7] == "(31.23, 121.47) in gcj02, WGS84 (31.23192, 121.46545), is outside the city"
    assert detail[11] == "no such time: '2024-13-01 13:00'"
    assert json.loads(raw[5]) == ["E4", "2024-05-01 11:00", "noise", "open", "late music", "abc", "116.35"]
    assert "\ufffd" in raw[18]  # the undecodable byte is kept visibly, not dropped


def test_clean_rows_are_converted_and_located() -> None:
    result = run(feed("corpus_events"), (CORPUS / "events_utf8.csv").read_bytes(), "events_utf8.csv")
    rows = result.clean.set_index("event_id")
    assert rows.loc["E1", "ts_utc"].isoformat() == "2024-05-01T00:00:00+00:00"  # 08:00 in Beijing
    assert rows.loc["E16", "ts_utc"].isoformat() == "2024-05-01T09:00:00+00:00"  # an explicit offset wins
    assert (rows.loc["E1", "district"], rows.loc["E2", "district"]) == ("Xicheng", "Dongcheng")
    assert rows.loc["E2", "description"] == "pothole, large"
    # GCJ-02 (39.91, 116.35) lies about 0.0014 deg north-east of the true WGS84 point
    assert 39.9085 < rows.loc["E1", "latitude"] < 39.9090 and 116.3435 < rows.loc["E1", "longitude"] < 116.3445


def test_gbk_is_detected_and_decoded() -> None:
    result = run(feed("corpus_events"), (CORPUS / "events_gbk.csv").read_bytes(), "events_gbk.csv")
    assert result.encoding == "gb18030"
    assert result.clean.sort_values("source_line")["category"].tolist() == EXPECTED["events_gbk.csv"]["categories"]


def test_compressed_files_give_the_same_dispositions() -> None:
    content = (CORPUS / "events_utf8.csv").read_bytes()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("events.csv", content)
    for packed, name in ((gzip.compress(content), "events.csv.gz"), (archive.getvalue(), "events.zip")):
        assert dispositions(run(feed("corpus_events"), packed, name)) == expected_of("events_utf8.csv")


def test_broken_archives_and_bombs_are_quarantined_whole() -> None:
    truncated = gzip.compress((CORPUS / "events_utf8.csv").read_bytes())[:-30]
    result = run(feed("corpus_events"), truncated, "events.csv.gz")
    assert result.rejects[["source_line", "reason_code"]].values.tolist() == [[0, "CORRUPT_ARCHIVE"]]
    bomb = gzip.compress(b"0" * (3 * 1024 * 1024))  # 3 MiB of zeros in about 3 KiB
    small_limit = feed("corpus_events").model_copy(update={"max_decompressed_mib": 1})
    result = run(small_limit, bomb, "bomb.csv.gz")
    assert result.rejects[["reason_code", "reason_detail"]].values.tolist() == [
        ["DECOMPRESSION_LIMIT", "expands beyond 1,048,576 bytes"]
    ]


def _table_of(csv_name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((CORPUS / csv_name).read_bytes().decode("gbk"))))


def test_excel_and_parquet() -> None:
    from openpyxl import Workbook

    rows = _table_of("events_gbk.csv")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    sheet.append([None] * 7)  # an empty row carries nothing
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = run(feed("corpus_events").model_copy(update={"format": ExcelFormat(type="xlsx")}), buffer.getvalue(), "events.xlsx")
    assert (result.rows_in, len(result.clean)) == (3, 3)
    assert result.clean.sort_values("source_line")["source_line"].tolist() == [2, 3, 4]  # spreadsheet row numbers
    parquet = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    result = run(
        feed("corpus_events").model_copy(update={"format": ParquetFormat(type="parquet")}), parquet.getvalue(), "e.parquet"
    )
    assert (result.rows_in, len(result.clean)) == (3, 3)
    assert sorted(result.clean["category"]) == sorted(["垃圾", "噪音", "占道经营"])
