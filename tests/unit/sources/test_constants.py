"""A constant column is typed like a delivered value: "5" into an int column is the number 5, and a constant that
is not one is each row's TYPE_MISMATCH, with the reason."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from pipelines.config import PROJECT_ROOT
from pipelines.sources.spec import FeedConfigError, parse_feed
from pipelines.sources.standardize import FeedContext, standardize
from pipelines.validate.suite import load_suite

CONTENT = b"line_id,slot_start,calls\nhotline-112,2025-03-03 00:00,4\nhotline-112,2025-03-03 00:05,6\n"


def run(slot_minutes: str):
    document = yaml.safe_load((PROJECT_ROOT / "sources" / "hotline_calls.yaml").read_text(encoding="utf-8"))
    document["columns"]["slot_minutes"] = {"constant": slot_minutes}
    spec = parse_feed(document, "sources/hotline_calls.yaml")
    return standardize(
        CONTENT, spec, load_suite(spec.suite), FeedContext("hotline_calls.csv", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    )


def test_a_numeric_constant_is_a_number() -> None:
    result = run("5")
    assert result.clean["slot_minutes"].tolist() == [5, 5]
    assert result.clean["timezone"].tolist() == ["America/Phoenix"] * 2  # a text constant stays text
    assert len(result.rejects) == 0


def test_a_constant_that_is_not_of_the_column_s_type_is_a_type_mismatch() -> None:
    result = run("five")
    assert len(result.clean) == 0
    assert result.rejects["reason_code"].tolist() == ["TYPE_MISMATCH"] * 2
    assert result.rejects["reason_detail"].tolist() == ["slot_minutes='five' is not a whole number"] * 2


def test_a_zone_taken_from_the_feed_is_its_declared_one_and_needs_one() -> None:
    document = yaml.safe_load((PROJECT_ROOT / "sources" / "hotline_calls.yaml").read_text(encoding="utf-8"))
    assert document["columns"]["timezone"] == {"from_feed": "timezone"}
    document["time"].pop("timezone")
    with pytest.raises(FeedConfigError, match=r"from_feed: timezone needs time\.timezone or time\.local_timezone"):
        parse_feed(document, "sources/hotline_calls.yaml")
    document["columns"]["timezone"] = {"from_feed": "timezone", "constant": "UTC"}
    with pytest.raises(FeedConfigError, match="'from_feed' takes no 'source' or 'constant'"):
        parse_feed(document, "sources/hotline_calls.yaml")
