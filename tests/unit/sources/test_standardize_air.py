"""The air feed through the standardization engine: every row clean, deduplicated, or quarantined with reason and line."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from pipelines.lake.catalog import clean_dataset
from pipelines.sources.registry import get_source
from pipelines.sources.standardize import FeedContext, standardize
from pipelines.validate.quarantine import count_by_reason
from pipelines.validate.suite import load_suite

ARRIVED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def cleanse(content: bytes, file_name: str = "PRSA_Data_Huairou_test.csv"):
    return standardize(content, get_source("air_beijing"), load_suite("air_quality_hourly"), FeedContext(file_name, ARRIVED))


HEADER = (
    b'"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3","TEMP","PRES","DEWP","RAIN","wd","WSPM","station"\n'
)


def row(
    no: int,
    hour: int,
    pm25: str = "7",
    wd: str = '"WNW"',
    station: str = '"Huairou"',
    month: str = "3",
    temp: str = "-2.3",
    co: str = "100",
) -> bytes:
    return f"{no},2013,{month},1,{hour},{pm25},7,3,2,{co},91,{temp},1020.3,-20.7,0,{wd},3.1,{station}\n".encode()


DIRTY = b"".join(
    [
        HEADER,
        row(1, 0),  # line 2: clean
        b'2,2013,3,1,1,4,4,3,NA,100,92,-2.7,1020.8,-20.5,0,"NNW",1.5,"Huairou"\n',  # line 3: clean, NO2 missing
        row(3, 2, pm25="abc"),  # line 4
        row(4, 3, month="13"),  # line 5
        row(5, 4, pm25="-5"),  # line 6
        row(6, 5, wd='"XYZ"'),  # line 7
        row(7, 6, station='"Dingling"'),  # line 8
        row(8, 7, station='""'),  # line 9
        b'9,2013,3,1,8,7,7,3,2,100,91,-2.3,1020.3,-20.7,0,"WNW",3.1\n',  # line 10: 17 fields
        row(10, 0),  # line 11: the same reading as line 2 again -> deduplicated
        row(11, 9, pm25="50"),  # line 12: conflicts with line 13
        row(12, 9, pm25="60"),  # line 13
        row(13, 10, wd='"W?W"').replace(b"W?W", b"W\xffW"),  # line 14: a byte that is not UTF-8
        row(14, 11, wd='"N\x00"'),  # line 15
        row(15, 12, co="5000"),  # line 16: clean, CO 5000 ug/m3 = 5 mg/m3
        row(16, 13, temp="99"),  # line 17
        b"\n",
    ]
)


@pytest.fixture(scope="module")
def result():
    return cleanse(DIRTY)


def test_ledger_balances_with_exact_counts(result) -> None:
    assert (result.rows_in, len(result.clean), len(result.rejects), result.rows_deduplicated) == (16, 3, 12, 1)
    assert result.balanced


def test_every_bad_row_has_its_reason_and_line(result) -> None:
    got = list(result.rejects[["source_line", "reason_code"]].itertuples(index=False, name=None))
    assert got == [
        (4, "TYPE_MISMATCH"),
        (5, "INVALID_TIMESTAMP"),
        (6, "CONCENTRATION_OUT_OF_RANGE"),
        (7, "INVALID_WIND_DIRECTION"),
        (8, "FILE_KEY_MISMATCH"),
        (9, "MISSING_STATION"),
        (10, "FIELD_COUNT_MISMATCH"),
        (12, "DUPLICATE_KEY_CONFLICT"),
        (13, "DUPLICATE_KEY_CONFLICT"),
        (14, "ENCODING_ERROR"),
        (15, "NUL_BYTE"),
        (17, "WEATHER_OUT_OF_RANGE"),
    ]
    details = dict(zip(result.rejects["source_line"], result.rejects["reason_detail"]))
    assert details[4] == "PM2.5='abc' is not a number"
    assert details[5] == "no such time: '2013-13-1-3'"
    assert details[6] == "pm25_ug_m3=-5.0 outside [0, 2000]"
    assert details[8] == "station='Dingling' in the file of station 'Huairou'"
    assert details[10] == "17 fields, expected 18"
    assert details[17] == "temp_c=99.0 outside [-50, 55]"
    assert count_by_reason(result.rejects) == {
        "CONCENTRATION_OUT_OF_RANGE": 1,
        "DUPLICATE_KEY_CONFLICT": 2,
        "ENCODING_ERROR": 1,
        "FIELD_COUNT_MISMATCH": 1,
        "INVALID_TIMESTAMP": 1,
        "INVALID_WIND_DIRECTION": 1,
        "MISSING_STATION": 1,
        "NUL_BYTE": 1,
        "FILE_KEY_MISMATCH": 1,
        "TYPE_MISMATCH": 1,
        "WEATHER_OUT_OF_RANGE": 1,
    }


def test_quarantined_rows_keep_the_record_as_delivered(result) -> None:
    raw = dict(zip(result.rejects["source_line"], result.rejects["raw_record"]))
    assert json.loads(raw[4])[5] == "abc"
    assert json.loads(raw[10])[-1] == "3.1"


def test_clean_rows_are_canonical_utc_and_converted(result) -> None:
    clean = result.clean
    assert clean["source_line"].tolist() == [2, 3, 16]
    assert clean["ts_utc"].tolist() == [pd.Timestamp(t) for t in ("2013-02-28T16:00Z", "2013-02-28T17:00Z", "2013-03-01T04:00Z")]
    assert clean["local_hour"].tolist() == [0, 1, 12]
    assert clean["co_mg_m3"].tolist() == [0.1, 0.1, 5.0]
    assert clean["pollutants_missing"].tolist() == [0, 1, 0]
    assert pd.isna(clean.loc[1, "no2_ug_m3"])  # a gap stays a gap
    air_quality = clean_dataset("air_quality_hourly")
    assert air_quality.conform(clean).schema.equals(air_quality.arrow_schema)


def test_wrong_header_quarantines_every_row() -> None:
    content = HEADER.replace(b'"PM2.5"', b'"PM25"') + row(1, 0) + row(2, 1)
    result = cleanse(content)
    assert result.rejects["reason_code"].tolist() == ["HEADER_MISMATCH", "HEADER_MISMATCH"]
    assert result.rows_in == 2 and result.clean.empty and result.balanced


@pytest.mark.parametrize("content", [b"", HEADER])
def test_empty_and_header_only_files(content: bytes) -> None:
    result = cleanse(content)
    assert (result.rows_in, len(result.clean), len(result.rejects), result.gaps) == (0, 0, 0, 0)


def test_missing_hours_are_counted_not_invented() -> None:
    content = HEADER + row(1, 0) + row(2, 1) + row(3, 5)
    result = cleanse(content)
    assert len(result.clean) == 3 and result.gaps == 3


def test_a_file_not_named_like_its_feed_is_quarantined() -> None:
    result = cleanse(HEADER + row(1, 0), "air.csv")
    assert result.rejects["reason_code"].tolist() == ["FILE_KEY_MISMATCH"]
    assert result.rejects["reason_detail"].tolist() == ["file name 'air.csv' does not match 'PRSA_Data_(?P<value>[^_]+)_'"]
