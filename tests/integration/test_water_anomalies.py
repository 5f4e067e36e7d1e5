"""The real pipe's flow through its feed's YAML into `water_flow_anomalies`, both detectors."""

from __future__ import annotations

import pytest

from pipelines.domains.energy import water
from pipelines.lake.catalog.energy import WATER_FLOW_ANOMALIES
from pipelines.lake.storage import Lake
from tests.conftest import DATA_DIR, require_data, through_feed

pytestmark = pytest.mark.slow


def test_the_pipe_feed_gives_four_periods_per_detector_kind(settings, dask_client) -> None:
    through_feed(settings, dask_client, "pipe_flow", [require_data(DATA_DIR / "energy" / "water_flow.csv")])
    lake = Lake(settings)

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
