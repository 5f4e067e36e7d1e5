"""The lake's status: rows from the Delta log, quarantine by reason, freshness against the expected cadence."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from pipelines.lake.catalog import tables
from pipelines.lake.catalog.meta import quarantine_of
from pipelines.lake.delta import publish_frame
from pipelines.lake.layout import Zone
from pipelines.lake.status import TableStatus, expected_cadences, table_statuses, zone_totals
from pipelines.lake.storage import Lake
from pipelines.sources.registry import all_sources

FEED_CADENCES = [(feed.dataset, feed.cadence) for feed in all_sources().values()]

MART_SCHEMA = pa.schema([pa.field("station", pa.string()), pa.field("aqi", pa.int64())])


def _quarantine(codes: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_partition": "A",
            "reason_code": codes,
            "reason_detail": "x",
            "source_file": "f.csv",
            "source_sha256": "0" * 64,
            "source_line": range(2, 2 + len(codes)),
            "raw_record": "r",
            "run_id": "run-1",
        }
    )


def test_every_table_with_its_rows_reasons_and_cadence(settings) -> None:
    lake = Lake(settings)
    publish_frame(
        lake,
        lake.layout.table(Zone.CURATED, "air_aqi_daily"),
        pd.DataFrame({"station": ["A", "B", "C"], "aqi": [50, 80, 120]}),
        MART_SCHEMA,
        ("station",),
        None,
        "run-1",
        "key-1",
    )
    publish_frame(
        lake,
        lake.layout.table(Zone.CURATED, "air_aqi_daily"),
        pd.DataFrame({"station": ["A"], "aqi": [55]}),
        MART_SCHEMA,
        ("station",),
        {"station": ["A"]},
        "run-2",
        "key-2",
    )
    quarantine = quarantine_of(tables(Zone.CLEAN)[0])
    lake.publish(quarantine, _quarantine(["OUT_OF_RANGE", "NAIVE_TIMESTAMP", "OUT_OF_RANGE"]), None, "run-1", "key-3")

    before = dt.datetime.now(dt.UTC)
    statuses = table_statuses(lake, expected_cadences(tables(), FEED_CADENCES))

    assert [(s.zone, s.dataset, s.version, s.rows) for s in statuses] == [
        (Zone.QUARANTINE, "air_quality_hourly", 1, 3),  # version 0 is the empty table
        (Zone.CURATED, "air_aqi_daily", 2, 3),  # the replaced partition is counted once
    ]
    quarantine, mart = statuses
    assert quarantine.quarantined_by_reason == {"NAIVE_TIMESTAMP": 1, "OUT_OF_RANGE": 2}
    assert mart.quarantined_by_reason == {}
    assert (quarantine.cadence, mart.cadence) == (dt.timedelta(days=1), dt.timedelta(days=1))
    assert abs(mart.last_publish - before) < dt.timedelta(minutes=1)
    assert zone_totals(statuses) == {Zone.QUARANTINE: (1, 3), Zone.CURATED: (1, 3)}


def test_freshness_against_the_cadence() -> None:
    published = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    hourly = TableStatus(Zone.CLEAN, "traffic_readings", 3, published, 10, dt.timedelta(hours=1))
    assert hourly.freshness(published + dt.timedelta(minutes=59)) == "on time"
    assert hourly.freshness(published + dt.timedelta(minutes=61)) == "late"
    assert TableStatus(Zone.META, "ledger", 0, published, 1).freshness(published + dt.timedelta(days=400)) == "no cadence"


def test_cadences_from_the_feeds_and_the_catalog() -> None:
    cadences = expected_cadences(tables(), FEED_CADENCES)
    assert cadences[(Zone.CLEAN, "traffic_readings")] == dt.timedelta(hours=1)
    assert cadences[(Zone.QUARANTINE, "traffic_sensors")] == dt.timedelta(days=30)
    assert cadences[(Zone.CLEAN, "air_quality_hourly")] == dt.timedelta(days=1)
    assert cadences[(Zone.CURATED, "traffic_forecast")] == dt.timedelta(hours=1)
    assert cadences[(Zone.CURATED, "model_leaderboard")] == dt.timedelta(days=7)
    assert (Zone.META, "ledger") not in cadences and (Zone.CLEAN, "health_visits") not in cadences  # no feed, no cadence


def test_a_cadence_must_be_a_positive_duration() -> None:
    from pipelines.sources.spec import FeedSpec

    spec = all_sources()["air_beijing"].model_dump()
    with pytest.raises(ValueError, match="cadence '0h' is not a positive duration"):
        FeedSpec.model_validate({**spec, "cadence": "0h"})
    with pytest.raises(ValueError, match="cadence 'weekly' is not a positive duration"):
        FeedSpec.model_validate({**spec, "cadence": "weekly"})
