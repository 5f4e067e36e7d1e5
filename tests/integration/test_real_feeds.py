"""Every real file in ../shared/data through its feed's YAML and the one standardization engine."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pandas as pd

from pipelines.config import load_settings
from pipelines.lake.ingest import RawFile
from pipelines.sources.context import feed_context
from pipelines.sources.registry import all_sources, get_source
from pipelines.sources.standardize import Standardized, standardize
from pipelines.validate.suite import load_suite, validate_with_gx
from tests.conftest import DATA_DIR, require_data

SETTINGS = load_settings(data_dir=DATA_DIR)


def run(feed_name: str, content: bytes, file_name: str) -> Standardized:
    feed = get_source(feed_name)
    raw = RawFile(feed_name, file_name, "0" * 64, len(content), None, "", "", "2026-01-01T00:00:00+00:00", "test")
    result = standardize(content, feed, load_suite(feed.suite), feed_context(feed, SETTINGS, raw))
    assert result.balanced
    assert validate_with_gx(result.clean, load_suite(feed.suite), feed.canonical.names).success
    return result


def data(relative: str) -> Path:
    return require_data(DATA_DIR / relative)


def test_every_feed_names_files_that_exist() -> None:
    synthetic = sorted(name for name, feed in all_sources().items() if feed.origin.startswith("SYNTHETIC"))
    assert synthetic == [
        "building_meters",
        "case_persons",
        "case_vehicles",
        "cases",
        "citizen_hotline",
        "city_management_system",
        "dispatch_calls",
        "flights",
        "hotel_stays",
        "hotline_calls",
        "loop_volumes_15min",
        "noise_sensors",
        "sensor_alarms",
        "social_posts",
        "unit_positions",
        "water_quality_stations",
    ]  # no public copy
    for name, feed in all_sources().items():
        if name in synthetic:
            assert feed.data_files == [], name
            continue
        assert feed.data_files, name
        for pattern in feed.data_files:
            assert sorted(DATA_DIR.glob(pattern)), f"{name}: nothing matches {pattern} under {DATA_DIR}"


def test_metr_la_speeds_wide_to_long_with_a_row_clock() -> None:
    content = data("traffic/metr-la/los_speed.csv").read_bytes()
    sensors = next(csv.reader(io.StringIO(content.decode())))
    result = run("metr_la_speeds", content, "los_speed.csv")
    assert (result.rows_in, len(result.clean), len(result.rejects)) == (2016 * 207, 2016 * 207, 0)
    assert result.clean["speed_kmh"].notna().all()  # this copy of METR-LA has no zero readings
    first = result.clean[(result.clean["sensor_id"] == "773869")].iloc[0]
    assert first["ts_utc"] == pd.Timestamp("2012-03-01T08:00Z")  # 00:00 in Los Angeles (PST)
    assert round(first["speed_kmh"], 4) == round(64.375 * 1.609344, 4)
    last = result.clean[(result.clean["sensor_id"] == sensors[-1])].iloc[-1]
    assert last["ts_utc"] == pd.Timestamp("2012-03-08T07:55Z")  # row 2016: start + 2015 x 5 min
    assert result.gaps == 0


def test_a_zero_speed_is_a_missing_reading_not_stopped_traffic() -> None:
    lines = data("traffic/metr-la/los_speed.csv").read_bytes().splitlines(keepends=True)
    row = lines[1].decode().split(",")
    row[0], row[5] = "0", "0.0"
    result = run("metr_la_speeds", lines[0] + ",".join(row).encode() + lines[2], "los_speed.csv")
    assert (result.rows_in, len(result.clean)) == (2 * 207, 2 * 207)
    nulls = result.clean[result.clean["speed_kmh"].isna()]
    sensors = lines[0].decode().strip().split(",")
    assert sorted(nulls["sensor_id"]) == sorted([sensors[0], sensors[5]])
    assert nulls["ts_utc"].tolist() == [pd.Timestamp("2012-03-01T08:00Z")] * 2


def test_metr_la_sensors_are_located_on_the_grid() -> None:
    result = run("metr_la_sensors", data("traffic/metr-la/graph_sensor_locations.csv").read_bytes(), "graph_sensor_locations.csv")
    assert (len(result.clean), len(result.rejects)) == (207, 0)
    sensor = result.clean.set_index("sensor_id").loc["773869"]
    assert (sensor["latitude"], sensor["longitude"], sensor["grid_cell"]) == (34.15497, -118.31829, "0.01:12415:6168")


def test_chicago_assaults_get_their_district_from_the_polygons() -> None:
    lines = gzip.decompress(data("crime/chicago/chicago_aggravated_assaults.csv.gz").read_bytes()).splitlines(keepends=True)
    result = run("chicago_assaults", gzip.compress(b"".join(lines[:2001])), "chicago_aggravated_assaults.csv.gz")
    assert (result.rows_in, len(result.clean), len(result.rejects)) == (2000, 2000, 0)
    outside = result.clean[result.clean["outside_districts"].astype(bool)]  # in the city, in no district polygon: kept
    assert outside[["source_line", "latitude", "longitude"]].values.tolist() == [[59, 41.9091, -87.7853]]
    assert outside["district"].isna().all() and int(result.clean["outside_districts"].sum()) == 1
    assert (result.clean["district"] == result.clean["reported_district"]).sum() == 1966
    first = result.clean.sort_values("source_line").iloc[0]
    assert (first["ts_utc"], first["district"], first["grid_cell"]) == (
        pd.Timestamp("2010-01-01T06:05Z"),
        "2",
        "0.005:26358:18474",
    )
    assert result.clean["incident_id"].is_unique


def test_household_power_converts_wh_to_kwh_on_a_fixed_cet_clock() -> None:
    lines = gzip.decompress(data("energy/household_power_2007.csv.gz").read_bytes()).splitlines(keepends=True)
    result = run("household_power", gzip.compress(b"".join(lines[:1441])), "household_power_2007.csv.gz")
    assert (result.rows_in, len(result.clean), len(result.rejects), result.gaps) == (1440, 1440, 0, 0)
    source = pd.read_csv(io.BytesIO(b"".join(lines[:1441])))
    assert result.clean["ts_utc"].iloc[0] == pd.Timestamp("2006-12-31T23:00Z")
    assert round(result.clean["sub_metering_3_kwh"].sum(), 6) == round(source["Sub_metering_3"].sum() / 1000, 6)
    assert result.clean["active_power_kw"].tolist() == source["Global_active_power"].tolist()


def test_water_flow_keeps_the_offsets_it_was_given() -> None:
    result = run("pipe_flow", data("energy/water_flow.csv").read_bytes(), "water_flow.csv")
    assert (len(result.clean), len(result.rejects), result.gaps) == (1268, 0, 111)
    assert result.clean["ts_utc"].iloc[0] == pd.Timestamp("2022-03-20T10:00Z")  # 11:00+01:00
    assert result.clean["ts_utc"].iloc[-1] == pd.Timestamp("2022-05-16T20:00Z")
    assert result.clean["ts_utc"].is_monotonic_increasing


def test_usgs_earthquakes_from_geojson_with_epoch_milliseconds_and_depth() -> None:
    result = run("usgs_earthquakes", data("emergency/earthquakes.geojson").read_bytes(), "earthquakes.geojson")
    assert (result.rows_in, len(result.clean), len(result.rejects)) == (1707, 1707, 0)  # the file's metadata.count
    assert result.clean["event_type"].value_counts().to_dict() == {"earthquake": 1679, "explosion": 15, "quarry blast": 13}
    assert (result.clean["review_status"] == "automatic").sum() == 493
    assert (result.clean["depth_km"] < 0).sum() == 43  # just above sea level: kept
    first = result.clean.set_index("event_id").loc["ci37868143"]  # the file's first feature
    assert first["ts_utc"] == pd.Timestamp("2018-02-07T01:26:13.840Z")  # 1517966773840 ms
    assert (first["magnitude"], first["magnitude_type"], first["depth_km"]) == (2.0, "ml", 26.49)
    assert (first["latitude"], first["longitude"], first["place"]) == (34.4945, -118.6671667, "4km W of Castaic, CA")
    assert result.clean["ts_utc"].min() == pd.Timestamp("2018-01-31T01:49:59.650Z")
