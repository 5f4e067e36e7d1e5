"""Files the project has never seen go in by YAML alone, with exact rows out (tests/onboarding_corpus/README.md lists them)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.config import load_settings
from pipelines.lake.ingest import RawFile
from pipelines.sources.context import feed_context
from pipelines.sources.spec import FeedSpec, load_feed
from pipelines.sources.standardize import Standardized, standardize
from pipelines.validate.suite import load_suite

CORPUS = Path(__file__).resolve().parent.parent / "onboarding_corpus"
ARRIVED = dt.datetime(2024, 12, 1, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def corpus_declarations(monkeypatch):
    """The departments' own dataset declarations (a new dataset and a column added to crime_incidents)."""
    monkeypatch.setenv("CITYLAKE_DATASETS_DIR", str(CORPUS / "datasets"))


def onboard(name: str) -> tuple[FeedSpec, Standardized]:
    """The corpus file `name*` standardized by its YAML, as the clean engine does it."""
    feed = load_feed(CORPUS / "sources" / f"{name}.yaml")
    [path] = [p for p in (CORPUS / "files").iterdir() if p.name.startswith(name)]
    own_suite = (CORPUS / "expectations" / f"{feed.suite}.json").exists()
    suite = load_suite(feed.suite, CORPUS / "expectations" if own_suite else None)
    raw = RawFile(feed.name, path.name, "0" * 64, 0, None, "", "", ARRIVED.isoformat(), "test")
    context = feed_context(feed, load_settings(data_dir=CORPUS / "files"), raw)
    return feed, standardize(path.read_bytes(), feed, suite, context)


def rows(result: Standardized, columns: list[str]) -> list[list[object]]:
    """The clean rows' columns as plain values (timestamps as ISO text, NaN and <NA> as None), in key order."""
    frame = result.clean[columns].copy()
    for column in columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    values = frame.astype(object).where(frame.notna(), None).values.tolist()
    return [[round(v, 6) if isinstance(v, float) else v for v in row] for row in values]


def rejects(result: Standardized) -> list[tuple[str, int, str]]:
    return [(r.reason_code, int(r.source_line), r.reason_detail) for r in result.rejects.itertuples()]


def test_projected_coordinates_districts_and_dates_without_a_time() -> None:
    _, result = onboard("utm_thefts")
    assert rows(result, ["incident_id", "ts_utc", "ts_precision", "latitude", "longitude", "district", "outside_districts"]) == [
        ["T-1", "2024-05-02T19:30:00Z", "minute", 41.9, -87.65, "North", False],
        ["T-2", "2024-05-03T05:00:00Z", "day", 41.8, -87.65, "South", False],  # a date: the local day's start, said so
        ["T-3", "2024-05-04T04:05:10Z", "second", 41.8, -87.75, None, True],  # in the city, in no district: kept
    ]
    assert rejects(result) == [
        ("OUT_OF_CITY", 5, "(4605570.2, 445832.6) in EPSG:32616, WGS84 (41.60000, -87.65000), is outside the city")
    ]


def test_z_marked_local_times_are_read_in_the_declared_zone() -> None:
    _, result = onboard("z_local_meter")
    assert rows(result, ["meter_id", "ts_utc", "active_power_kw", "voltage_v"]) == [
        ["M1", "2024-05-01T06:00:00Z", 1.5, 230.1],  # 08:00 on Berlin's clock (CEST), not 08:00 UTC
        ["M1", "2024-05-01T06:15:00Z", 1.75, 229.8],
        ["M2", "2024-05-01T06:00:00Z", 0.0, 231.0],
    ]


def test_an_elapsed_row_clock_crosses_the_dst_change_without_a_hole_or_a_repeat() -> None:
    _, result = onboard("dst_halfhourly")
    assert rows(result, ["meter_id", "ts_utc", "flow_l_s"]) == [
        ["W-7", "2024-03-31T00:00:00Z", 1.0],
        ["W-7", "2024-03-31T00:30:00Z", 2.0],
        ["W-7", "2024-03-31T01:00:00Z", 3.0],  # 02:00 BST: the clock jumped, the logger did not
        ["W-7", "2024-03-31T01:30:00Z", 0.0],
        ["W-7", "2024-03-31T02:00:00Z", 10.0],
        ["W-7", "2024-03-31T02:30:00Z", 5.0],
    ]


def test_a_dataset_declared_in_yaml_takes_gw_and_fahrenheit() -> None:
    feed, result = onboard("regional_demand_gw")
    assert feed.canonical.names == ["region", "ts_utc", "demand_mw", "temperature_c", "source_file", "source_line"]
    assert feed.canonical.column("demand_mw").unit == "MW"
    assert rows(result, ["region", "ts_utc", "demand_mw", "temperature_c"]) == [
        ["Kansai", "2024-07-01T04:00:00Z", 22000.0, 32.0],
        ["Kanto", "2024-07-01T04:00:00Z", 45500.0, 33.0],
        ["Kanto", "2024-07-01T05:00:00Z", 46250.0, 34.0],
    ]
    assert rejects(result) == [("DEMAND_OUT_OF_RANGE", 5, "demand_mw=-3000.0 outside [0, 1000000]")]


def test_a_victim_per_row_export_becomes_one_incident_with_its_victim_count() -> None:
    feed, result = onboard("victims_per_row")
    assert feed.canonical.names[-1] == "victims"  # the column the department added by YAML
    assert rows(result, ["incident_id", "ts_utc", "offense", "victims", "district", "outside_districts"]) == [
        ["V-1", "2024-06-02T02:10:00Z", "ASSAULT", 3, None, None],  # no district polygons: nothing to be outside of
        ["V-2", "2024-06-02T13:00:00Z", "ROBBERY", 1, None, None],
        ["V-3", "2024-06-03T04:40:00Z", "ASSAULT", 2, None, None],
    ]
    assert (result.rows_in, result.rows_deduplicated) == (6, 3)
    assert result.deduplicated_by_reason == {
        "exact copy": 1,
        "differs only in unmapped columns: victim_age": 1,
        "merged into one row per key (merge)": 1,
    }


def test_fifteen_minute_volumes_and_occupancy_as_a_fraction() -> None:
    _, result = onboard("loop_counts_15min")
    assert rows(result, ["sensor_id", "ts_utc", "speed_kmh", "volume_veh_h", "occupancy_pct"]) == [
        ["S1", "2024-04-02T12:00:00Z", None, 1640.0, 18.0],  # 410 vehicles in 15 minutes: 1,640 per hour
        ["S1", "2024-04-02T12:15:00Z", None, 1820.0, 27.0],
        ["S1", "2024-04-02T12:30:00Z", None, None, 31.0],  # no count delivered: null, not invented
        ["S2", "2024-04-02T12:00:00Z", None, 480.0, 5.0],
    ]


def test_a_wide_file_melts_its_zones_and_keeps_the_temperature_beside_each() -> None:
    _, result = onboard("zone_demand_wide")
    assert rows(result, ["region", "ts_utc", "demand_mw", "temperature_c", "source_line"]) == [
        ["north", "2024-01-15T05:00:00Z", 1200.5, -3.5, 2],
        ["north", "2024-01-15T06:00:00Z", 1150.0, -4.0, 3],
        ["south", "2024-01-15T05:00:00Z", 980.0, -3.5, 2],
        ["south", "2024-01-15T06:00:00Z", None, -4.0, 3],
    ]


def test_derived_ids_and_categories_and_the_latest_update_of_a_request() -> None:
    _, result = onboard("service_requests")
    assert rows(result, ["event_id", "ts_utc", "category", "status", "source_line"]) == [
        ["GR-102", "2024-05-05T14:30:00Z", "graffiti", "in_progress", 2],
        ["PH-101", "2024-05-05T15:15:00Z", "pothole", "closed", 3],  # the later update of request 101 wins
    ]
    assert result.deduplicated_by_reason == {"superseded by a later ts_utc (keep_latest)": 1}
    assert rejects(result) == [("MISSING_CATEGORY", 4, "category is missing")]  # 'XX' maps to no category


def test_the_corpus_is_what_its_readme_lists() -> None:
    listed = {line.split("`")[1] for line in (CORPUS / "README.md").read_text().splitlines() if line.startswith("| `")}
    delivered = {p.name for p in (CORPUS / "files").iterdir() if p.suffix != ".geojson"}
    assert listed == delivered and len(delivered) >= 8
    assert {p.stem for p in (CORPUS / "sources").glob("*.yaml")} == {n.split(".")[0] for n in delivered}


@pytest.mark.slow
def test_a_declared_dataset_and_an_added_column_reach_the_lake(tmp_path, monkeypatch) -> None:
    """Through ingest, the workers and the publish: a new table from YAML, and an existing table gaining a column."""
    from pipelines.compute import dask_client
    from pipelines.flows import clean as clean_flow
    from pipelines.lake import delta
    from pipelines.lake.layout import Zone
    from pipelines.lake.storage import Lake
    from pipelines.validate.suite import EXPECTATIONS_DIR

    suites = tmp_path / "expectations"  # the project's suites and the department's own, as a deployment has them
    shutil.copytree(EXPECTATIONS_DIR, suites)
    shutil.copy(CORPUS / "expectations" / "electricity_demand.json", suites)
    monkeypatch.setenv("CITYLAKE_EXPECTATIONS_DIR", str(suites))
    monkeypatch.setenv("CITYLAKE_DATASETS_DIR", str(tmp_path / "no_declarations"))  # crime_incidents as the code has it
    settings = load_settings(lake_uri=str(tmp_path / "lake"), data_dir=CORPUS / "files", dask_workers=1)
    lake = Lake(settings)
    lake.ensure_exists()

    def run(name: str, run_id: str, lines: slice = slice(None)) -> None:
        feed = load_feed(CORPUS / "sources" / f"{name}.yaml")
        [path] = [p for p in (CORPUS / "files").iterdir() if p.name.startswith(name)]
        delivered = b"".join(path.read_bytes().splitlines(keepends=True)[lines])
        lake.write_bytes(f"{lake.layout.landing_dir(feed.name)}/{path.name}", delivered)
        clean_flow.ingest(settings, feed, run_id, ARRIVED)
        with dask_client(settings) as client:  # workers started now see the declarations of this deployment
            clean_flow.clean(settings, feed, run_id, client)

    run("utm_thefts", "r1", slice(0, 4))  # without the point outside the city: 1 in 4 would fail the quality gate
    incidents = lake.layout.table(Zone.CLEAN, "crime_incidents")
    assert "victims" not in delta.read_table(lake, incidents).columns

    monkeypatch.setenv("CITYLAKE_DATASETS_DIR", str(CORPUS / "datasets"))
    run("victims_per_row", "r2")
    run("regional_demand_gw", "r3")
    run("zone_demand_wide", "r4")
    table = delta.read_table(lake, incidents).sort_values("incident_id")
    assert table["incident_id"].tolist() == ["T-1", "T-2", "T-3", "V-1", "V-2", "V-3"]
    assert table["victims"].iloc[:3].isna().all()  # rows published before the column existed
    assert table["victims"].iloc[3:].astype(int).tolist() == [3, 1, 2]
    demand = delta.read_table(lake, lake.layout.table(Zone.CLEAN, "electricity_demand")).sort_values(["region", "ts_utc"])
    assert demand["region"].tolist() == ["Kansai", "Kanto", "Kanto", "north", "north", "south", "south"]
    assert np.isnan(demand["demand_mw"].iloc[-1]) and demand["demand_mw"].iloc[:3].tolist() == [22000.0, 45500.0, 46250.0]
    quarantine = delta.read_table(lake, lake.layout.table(Zone.QUARANTINE, "electricity_demand"))
    assert quarantine["reason_code"].tolist() == ["DEMAND_OUT_OF_RANGE"]


def test_a_date_alone_for_a_dataset_that_cannot_say_so_is_quarantined_not_stored_as_midnight() -> None:
    feed = load_feed(CORPUS / "sources" / "z_local_meter.yaml")
    content = b"meter,reading_time,watts,volts\nM1,2024-05-01T08:00:00Z,1500,230.1\nM1,2024-05-02,1400,230.0\n"
    raw = RawFile(feed.name, "z_local_meter_dates.csv", "0" * 64, 0, None, "", "", ARRIVED.isoformat(), "test")
    result = standardize(content, feed, load_suite(feed.suite), feed_context(feed, load_settings(), raw))
    assert rows(result, ["meter_id", "ts_utc"]) == [["M1", "2024-05-01T06:00:00Z"]]
    assert rejects(result) == [
        (
            "IMPRECISE_TIMESTAMP",
            3,
            "the time is a date without a time of day, and energy_readings has no ts_precision column to say so",
        )
    ]
