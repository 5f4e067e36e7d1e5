"""Derived columns in a feed's YAML: checked at load, computed before mapping, missing inputs named with the nearest."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from pipelines.cleanse.geo import read_districts
from pipelines.config import PROJECT_ROOT
from pipelines.sources.spec import FeedConfigError, parse_feed
from pipelines.sources.standardize import FeedContext, required_source_columns, standardize
from pipelines.validate.suite import load_suite

CORPUS = PROJECT_ROOT / "tests" / "corpus"
# an export without ids or statuses of its own: the id is the ward and a running number, the status a code
CSV = b"""ward,seq,reported_at,kind,code,text,lat,lon
XC,17,2024-05-01 08:00,litter,O,a,39.91,116.35
DC,4,2024-05-01 09:30,road damage,C,b,39.91,116.42
"""


def events_feed(derive: dict, **columns: dict):
    document = yaml.safe_load((CORPUS / "feeds" / "corpus_events.yaml").read_text(encoding="utf-8"))
    document["derive"] = derive
    document["columns"] = {**document["columns"], **columns}
    return parse_feed(document, "sources/x.yaml")


DERIVE = {
    "event_id": {"concat": ["ward", "seq"], "sep": "-"},
    "status": {"map": "code", "values": {"O": "open", "C": "closed"}, "default": "null"},
}


def test_derived_columns_are_mapped_like_delivered_ones() -> None:
    spec = events_feed(DERIVE, event_id={"source": "event_id"}, status={"source": "status"}, category={"source": "kind"})
    assert required_source_columns(spec) == ["ward", "seq", "kind", "code", "text", "reported_at", "lat", "lon"]
    districts = read_districts(CORPUS / "beijing_two_districts.geojson", "name")
    result = standardize(
        CSV, spec, load_suite(spec.suite), FeedContext("events.csv", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), districts)
    )
    assert result.rejects.empty
    assert result.clean[["event_id", "status", "category", "district"]].values.tolist() == [
        ["DC-4", "closed", "road damage", "Dongcheng"],
        ["XC-17", "open", "litter", "Xicheng"],
    ]


def test_a_missing_input_is_named_with_the_nearest_column_of_the_file() -> None:
    spec = events_feed(
        {**DERIVE, "event_id": {"concat": ["wrad", "seq"], "sep": "-"}},
        event_id={"source": "event_id"},
        status={"source": "status"},
        category={"source": "kind"},
    )
    districts = read_districts(CORPUS / "beijing_two_districts.geojson", "name")
    result = standardize(
        CSV, spec, load_suite(spec.suite), FeedContext("events.csv", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), districts)
    )
    assert result.rejects["reason_code"].tolist() == ["HEADER_MISMATCH", "HEADER_MISMATCH"]
    assert result.rejects["reason_detail"].iloc[0] == "header at line 1 lacks 'wrad' (nearest: 'ward')"


@pytest.mark.parametrize(
    "derive, message",
    [
        (
            {"x": {"concat": ["a"], "map": "b", "values": {"1": "2"}}},
            "derive.x: give exactly one of concat, extract, replace, expression, map, date_part, shift (given: concat, map)",
        ),
        (
            {"x": {"extract": "a", "pattern": "\\d+"}},
            "derive.x: pattern '\\\\d+' has no group to extract: put the wanted part in ( )",
        ),
        (
            {"x": {"expression": "open('f')"}},
            "derive.x: expression \"open('f')\": only numbers, column names and + - * / // % ** are allowed",
        ),
        ({"x": {"concat": ["y"]}, "y": {"concat": ["a"]}}, "derive.x: reads 'y', which is derived at or after it"),
    ],
)
def test_derived_columns_are_checked_at_load(derive: dict, message: str) -> None:
    with pytest.raises(FeedConfigError) as error:
        events_feed(derive)
    assert f"sources/x.yaml: {message}" in str(error.value).splitlines()


def test_a_feed_whose_rows_look_at_earlier_rows_is_read_whole_not_in_chunks() -> None:
    from pipelines.sources.streaming import streamable

    assert streamable(events_feed(DERIVE))
    assert not streamable(events_feed({**DERIVE, "previous": {"shift": "seq", "within": ["ward"]}}))
