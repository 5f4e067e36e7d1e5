"""The real pipe's flow through its feed's YAML into `water_flow_anomalies`, both detectors."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.domains.energy import water
from pipelines.flows import clean as clean_flow
from pipelines.lake.catalog.energy import WATER_FLOW_ANOMALIES
from pipelines.lake.ingest import deliver
from pipelines.lake.storage import Lake
from pipelines.sources.registry import get_source
from tests.conftest import DATA_DIR, require_data

pytestmark = pytest.mark.slow


def test_the_pipe_feed_gives_four_periods_per_detector_kind(settings, dask_client) -> None:
    lake = Lake(settings)
    lake.ensure_exists()
    feed = get_source("pipe_flow")
    deliver(lake, feed, [require_data(DATA_DIR / "energy" / "water_flow.csv")])
    clean_flow.ingest(settings, feed, "r1", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    clean_flow.clean(settings, feed, "r1", dask_client)

    result = water.build(settings, "r1")
    found = lake.read(WATER_FLOW_ANOMALIES)
    assert result["meters"] == 1 and result["rows"] == len(found)
    robust = found[found["detector"] == "robust"].sort_values("start_utc")
    assert robust["kind"].tolist() == ["low", "low", "high", "low"] and set(robust["meter_id"]) == {"supply-pipe-1"}
    assert robust["start_utc"].dt.strftime("%Y-%m-%d %H").tolist() == [
        "2022-03-24 07",
        "2022-03-28 14",
        "2022-04-03 04",
        "2022-04-27 13",
    ]
    assert result["periods_by_detector"] == found["detector"].value_counts().sort_index().to_dict()
    assert water.build(settings, "r2")["version"] == result["version"]  # the same readings: nothing republished
