"""Feed YAML is checked against its schema and its canonical dataset; errors name the file, the key, the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines.sources.registry import SOURCES_DIR, all_sources
from pipelines.sources.spec import FeedConfigError, load_feed, parse_feed

BASE = yaml.safe_load((SOURCES_DIR / "metr_la_speeds.yaml").read_text())


def broken(change) -> str:
    document = yaml.safe_load(yaml.safe_dump(BASE))
    change(document)
    with pytest.raises(FeedConfigError) as error:
        parse_feed(document, "sources/x.yaml")
    return str(error.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["format"].update(delimter=";"), "sources/x.yaml: format.delimter: unknown key"),
        (
            lambda d: d["columns"]["speed_kmh"].update(unit="veh/h"),
            "sources/x.yaml: columns.speed_kmh.unit: cannot convert 'veh/h' ([vehicle] / [time]) to 'km/h' ([length] / [time]): "
            "not the same dimension",
        ),
        (
            lambda d: d["columns"]["speed_kmh"].pop("unit"),
            "sources/x.yaml: columns.speed_kmh.unit: say the source unit (canonical: km/h)",
        ),
        (
            lambda d: d["time"].update(timezone="Mars/Olympus"),
            "sources/x.yaml: time.timezone: unknown time zone 'Mars/Olympus' (use an IANA name such as Asia/Shanghai)",
        ),
        (lambda d: d.pop("suite"), "sources/x.yaml: suite: required key is missing"),
        (
            lambda d: d["columns"]["sensor_id"].update(constant="a"),
            "sources/x.yaml: columns.sensor_id: give exactly one of 'source' or 'constant'",
        ),
        (lambda d: d["time"].update(column="t"), "sources/x.yaml: time: give exactly one of 'column', 'parts' or 'row_clock'"),
        (
            lambda d: d["columns"].pop("sensor_id"),
            "sources/x.yaml: columns: the key column(s) sensor_id of traffic_readings are not mapped",
        ),
        (
            lambda d: d["time"]["row_clock"].update(step="-5min"),
            "sources/x.yaml: time.row_clock.step: '-5min' is not a positive duration such as '5min' or '1h'",
        ),
        (lambda d: d.update(name="Bad Name"), "sources/x.yaml: name: String should match pattern '^[a-z][a-z0-9_]*$'"),
        (
            lambda d: d.update(time={"column": "day", "format": "%d.%m.%Y", "timezone": "Europe/Berlin"}),
            "sources/x.yaml: time.format: '%d.%m.%Y' gives dates without a time of day, and traffic_readings has no "
            "ts_precision column to say so: add one with a dataset YAML (extends: traffic_readings) rather than store midnights",
        ),
    ],
)
def test_errors_name_file_key_and_problem(change, message: str) -> None:
    assert broken(change) == message


def test_unknown_dataset_lists_the_known_ones() -> None:
    assert broken(lambda d: d.update(dataset="nope")).startswith(
        "sources/x.yaml: dataset: unknown canonical dataset 'nope'; known: air_quality_hourly, building_meter_readings, case_persons,"
    )


def test_file_level_errors(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: [unclosed")
    with pytest.raises(FeedConfigError, match=r"a.yaml: not valid YAML"):
        load_feed(tmp_path / "a.yaml")
    (tmp_path / "b.yaml").write_text("- a list\n")
    with pytest.raises(FeedConfigError, match=r"b.yaml: the file must hold a mapping of keys, not list"):
        load_feed(tmp_path / "b.yaml")
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(BASE))
    with pytest.raises(FeedConfigError, match=r"c.yaml: name: 'metr_la_speeds' must equal the file name 'c'"):
        load_feed(tmp_path / "c.yaml")


def test_every_registered_feed_is_valid_and_has_its_suite() -> None:
    feeds = all_sources()
    assert sorted(feeds) == [
        "air_beijing",
        "building_meters",
        "call_centre_volumes",
        "case_persons",
        "case_vehicles",
        "cases",
        "chicago_assaults",
        "citizen_hotline",
        "city_management_system",
        "covid_testing",
        "dispatch_calls",
        "flights",
        "hotel_stays",
        "hotline_calls",
        "household_power",
        "loop_volumes_15min",
        "metr_la_road_links",
        "metr_la_sensors",
        "metr_la_speeds",
        "noise_sensors",
        "pipe_flow",
        "sensor_alarms",
        "social_posts",
        "tempe_opioid_calls",
        "unit_positions",
        "usgs_earthquakes",
        "utilities_monthly",
        "water_quality_stations",
    ]
    for feed in feeds.values():
        assert (SOURCES_DIR.parent / "expectations" / f"{feed.suite}.json").exists()


@pytest.mark.parametrize(
    "duplicates, message",
    [
        (
            {"policy": "keep_latest"},
            "sources/x.yaml: duplicates: 'keep_latest' needs 'latest_by' (the column that says which row is the latest)",
        ),
        (
            {"policy": "keep_latest", "latest_by": "ts_utcc"},
            "sources/x.yaml: duplicates.latest_by: traffic_readings has no column 'ts_utcc'; did you mean 'ts_utc'?",
        ),
        (
            {"policy": "merge", "count_into": "speed_kmh"},
            "sources/x.yaml: duplicates.count_into: speed_kmh is not an integer column of traffic_readings",
        ),
        ({"policy": "keep_first", "count_into": "x"}, "sources/x.yaml: duplicates: 'count_into' is for the 'merge' policy"),
    ],
)
def test_a_duplicates_policy_is_checked_at_load(duplicates: dict, message: str) -> None:
    assert broken(lambda d: d.update(duplicates=duplicates)) == message


def test_a_datasets_local_zone_is_what_its_feeds_declare_and_a_missing_one_is_an_error() -> None:
    from pipelines.sources.registry import local_timezone

    assert local_timezone("energy_readings") == "Europe/Paris"  # the meter's clock is Etc/GMT-1, its days Paris'
    assert local_timezone("noise_levels") == "Asia/Shanghai"
    with pytest.raises(FeedConfigError, match="no feed into water_readings declares its local time zone"):
        local_timezone("water_readings")  # its times carry their offsets: no zone is declared, none is guessed
