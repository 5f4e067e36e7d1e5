"""Search across the clean tables: by key, around a place, in a district or grid cell, in a time window."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from pipelines.bi.search import Search, SearchError, search
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.storage import Lake

T0 = pd.Timestamp("2024-05-02 19:30", tz="UTC")


def rows(dataset: str, records: list[dict]) -> pd.DataFrame:
    table = clean_dataset(dataset)
    frame = table.arrow_schema.empty_table().to_pandas()
    return pd.concat([frame, pd.DataFrame(records)], ignore_index=True)[table.names]


@pytest.fixture
def lake(settings) -> Lake:
    lake = Lake(settings)
    incidents = [
        {
            "incident_id": "T-1",
            "ts_utc": T0,
            "offense": "THEFT",
            "latitude": 41.9000,
            "longitude": -87.6500,
            "district": "North",
            "grid_cell": "0.01:13190:9234",
            "source_file": "a.csv",
            "source_line": 2,
        },
        {
            "incident_id": "T-2",
            "ts_utc": T0 + pd.Timedelta("1D"),
            "offense": "BURGLARY",
            "latitude": 41.8000,
            "longitude": -87.6500,
            "district": "South",
            "grid_cell": "0.01:13179:9235",
            "source_file": "a.csv",
            "source_line": 3,
        },
        {
            "incident_id": "T-3",
            "ts_utc": T0 + pd.Timedelta("2D"),
            "offense": "THEFT",
            "latitude": 41.9010,
            "longitude": -87.6510,
            "district": "North",
            "grid_cell": "0.01:13190:9234",
            "source_file": "a.csv",
            "source_line": 4,
        },
    ]
    lake.publish(clean_dataset("crime_incidents"), rows("crime_incidents", incidents), None, "r", "k1")
    readings = [
        {"sensor_id": "T-1", "ts_utc": T0, "speed_kmh": 50.0, "source_file": "s.csv", "source_line": 2},
        {"sensor_id": "S-9", "ts_utc": T0, "speed_kmh": 70.0, "source_file": "s.csv", "source_line": 3},
    ]
    lake.publish(clean_dataset("traffic_readings"), rows("traffic_readings", readings), None, "r", "k2")
    return lake


def test_a_key_is_found_in_every_table_that_holds_it(lake) -> None:
    hits = search(lake.settings, Search(key="T-1"))
    assert hits[["table", "ts_utc"]].values.tolist() == [["clean_crime_incidents", T0], ["clean_traffic_readings", T0]]
    assert json.loads(hits["record"][0])["offense"] == "THEFT"  # the whole row comes with the hit


def test_around_a_point_in_a_district_and_a_cell_and_a_time_window(lake) -> None:
    near = search(lake.settings, Search(near=(41.9000, -87.6500, 200)))  # T-3 is ~140 m away, T-2 11 km
    assert sorted(json.loads(r)["incident_id"] for r in near["record"]) == ["T-1", "T-3"]
    assert search(lake.settings, Search(near=(41.9000, -87.6500, 100)))["record"].map(
        lambda r: json.loads(r)["incident_id"]
    ).tolist() == ["T-1"]
    assert search(lake.settings, Search(district="South"))["district"].tolist() == ["South"]
    assert len(search(lake.settings, Search(grid_cell="0.01:13190:9234"))) == 2
    window = Search(
        start=(T0 + pd.Timedelta("1h")).to_pydatetime(), end=(T0 + pd.Timedelta("3D")).to_pydatetime(), district="North"
    )
    assert [json.loads(r)["incident_id"] for r in search(lake.settings, window)["record"]] == ["T-3"]
    assert search(lake.settings, Search(key="nobody")).empty


def test_a_search_must_say_what_it_looks_for() -> None:
    with pytest.raises(SearchError, match="say what to look for"):
        Search()
    with pytest.raises(SearchError, match=r"near needs a WGS84 point and a radius of 1 m to 100 km, not \(91, 0, 10\)"):
        Search(near=(91, 0, 10))
    assert Search(start=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)).end is None


def test_from_the_command_line_and_the_sdk(lake, capsys, monkeypatch) -> None:
    from citylake import Lake as SDK
    from pipelines.cli import main

    monkeypatch.setenv("CITYLAKE_LAKE_URI", lake.settings.lake_uri)
    assert main(["search", "--near", "41.9,-87.65,200", "--from", "2024-05-03", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert (
        out[0] == "table,ts_utc,latitude,longitude,district,record"
        and len(out) == 2
        and out[1].startswith("clean_crime_incidents,")
    )
    assert main(["search", "--near", "41.9,-87.65"]) == 1
    assert (
        capsys.readouterr().err.strip()
        == "citylake search: --near takes LAT,LON,METRES (e.g. 41.88,-87.63,250), not '41.9,-87.65'"
    )
    assert SDK(settings=lake.settings).search(key="S-9")["table"].tolist() == ["clean_traffic_readings"]
