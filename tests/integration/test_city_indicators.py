"""city_indicators from marts published in a lake: each value traced back to the mart version it was computed from,
stale sources said as such, the weekly brief's numbers equal to the mart's, and an open-data release with nothing
personal in it."""

from __future__ import annotations

import hashlib
import io
import json
import re

import pandas as pd
import pytest

from pipelines.bi import open_data
from pipelines.domains.egov import indicators as ind
from pipelines.domains.egov import marts
from pipelines.lake.catalog import Table, Zone, get_table
from pipelines.lake.catalog.egov import CITY_INDICATORS, INDICATOR_SOURCES
from pipelines.lake.storage import Lake

AIR = get_table(Zone.CURATED, "air_aqi_daily")
URBAN = get_table(Zone.CURATED, "urban_kpis")
SIGNALS = get_table(Zone.CURATED, "health_signals")
DAYS = pd.date_range("2017-01-02", periods=14).date  # Monday 2 to Sunday 15 January 2017: ISO weeks 1 and 2
STATION_A = [50, 80, 120, 210, 250, 90, 100, 60, 70, 80, 90, 95, 110, 130]
STATION_B = [70, 100, 140, 230, 270, 110, 100, 40, 50, 60, 70, 85, 90, 150]


def publish(lake: Lake, table: Table, rows: pd.DataFrame, run_id: str) -> None:
    """Publish rows of a mart, the columns not given left null."""
    full = rows.reindex(columns=table.names)
    lake.publish(
        table, full.astype({c: object for c in full.columns if c not in rows.columns}), None, run_id, f"{table.name}-{run_id}"
    )


def air_rows(a: list[int], b: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"station": ["A"] * 14 + ["B"] * 14, "local_date": list(DAYS) * 2, "aqi": a + b})


def html_values(page: str) -> dict[str, float]:
    """The headline values the brief's HTML carries, by indicator."""
    found = re.findall(r"<tr data-indicator='(\w+)'>.*?data-value='([^']*)'", page)
    return {indicator: float(value) for indicator, value in found}


@pytest.fixture
def lake_with_marts(settings) -> Lake:
    lake = Lake(settings)
    lake.ensure_exists()
    publish(lake, AIR, air_rows(STATION_A, STATION_B), "air-1")
    urban = pd.DataFrame(
        {
            "month": pd.to_datetime(["2024-05-01", "2024-05-01", "2024-06-01", "2024-06-01"]).date,
            "department": "roads",
            "district": ["LOOP", "UPTOWN", "LOOP", "UPTOWN"],
            "judged": [10, 30, 20, 20],
            "on_time": [9, 24, 19, 14],
        }
    )
    publish(lake, URBAN, urban, "urban-1")
    signals = pd.DataFrame({"pandemic_day": range(14), "c1_signal": [False] * 9 + [True, True, False, False, True]})
    publish(lake, SIGNALS, signals.assign(c2_signal=False, c3_signal=False, cusum_signal=False), "health-1")
    return lake


def test_indicators_carry_their_lineage_back_to_the_mart_versions(settings, lake_with_marts) -> None:
    lake = lake_with_marts
    first = lake.version(AIR)
    first_published = pd.Timestamp(lake.published_at(AIR, first))
    as_of = first_published + pd.Timedelta(hours=1)
    result = marts.build(settings, "ind-1", as_of=as_of)
    rows = lake.read(CITY_INDICATORS)
    assert result["sources"]["curated/air_aqi_daily"] == first and result["indicators"] == 5
    assert result["not_published"] == sorted(set(INDICATOR_SOURCES) - {AIR.ref, URBAN.ref, SIGNALS.ref})

    def value(indicator: str, grain: str, period: str, area: str = "city") -> pd.Series:
        match = rows[
            (rows["indicator"] == indicator) & (rows["grain"] == grain) & (rows["period"] == period) & (rows["area"] == area)
        ]
        assert len(match) == 1, (indicator, grain, period, area)
        return match.iloc[0]

    monday = value("air_city_aqi", "day", "2017-01-02")
    assert (monday["value"], monday["light"], monday["source_version"], monday["freshness"]) == (60.0, "green", first, "current")
    assert monday["source_published_utc"] == first_published
    # week 1: city AQI 60, 90, 130, 220, 260, 100, 100 -> 4 of 7 days good; week 2: 50, 60, 70, 80, 90, 100, 140 -> 6 of 7
    week2 = value("air_good_days_share", "week", "2017-W02")
    assert week2["value"] == pytest.approx(600 / 7) and week2["previous_value"] == pytest.approx(400 / 7)
    assert (week2["light"], week2["is_latest"], week2["complete"]) == ("green", True, True)
    january = value("air_heavy_pollution_days", "month", "2017-01")
    assert (january["value"], january["complete"], january["light"]) == (2.0, False, "amber")  # the data ends on 15 January
    june = value("urban_on_time_rate", "month", "2024-06")
    assert (june["value"], june["previous_value"], june["light"]) == (82.5, 82.5, "amber")  # 33/40, then 33/40
    assert value("urban_on_time_rate", "month", "2024-06", "UPTOWN")["value"] == 70.0
    signals = value("health_signal_days", "pandemic_week", "pandemic days 7-13")
    assert (signals["value"], signals["light"], signals["period_start"]) == (3.0, "red", None)
    traffic = rows[rows["indicator"] == "traffic_congestion_hours"].iloc[0]
    assert (traffic["freshness"], pd.isna(traffic["value"]), traffic["stale_reason"]) == (
        "not published",
        True,
        "curated/traffic_readings_clean has not been published",
    )

    # the station B's worst day is corrected: a new version of the mart, and new indicators computed from it
    publish(lake, AIR, air_rows(STATION_A, [*STATION_B[:13], 90]), "air-2")
    marts.build(settings, "ind-2", as_of=as_of + pd.Timedelta(hours=1))
    now = lake.read(CITY_INDICATORS)
    sunday = now[(now["indicator"] == "air_city_aqi") & (now["period"] == "2017-01-15")].iloc[0]
    assert (sunday["value"], sunday["source_version"]) == (110.0, first + 1)

    # the earlier indicators name the mart's first version; reading that version and applying the definition gives them again
    before = lake.read(CITY_INDICATORS, version=lake.version(CITY_INDICATORS) - 1)
    old = before[(before["indicator"] == "air_city_aqi") & (before["period"] == "2017-01-15")].iloc[0]
    assert (old["value"], old["source_version"]) == (140.0, first)
    air_then = lake.read(AIR, version=int(old["source_version"]), columns=["local_date", "aqi"])
    again = ind.compute(ind.get_indicator("air_city_aqi"), air_then, ind.IndicatorParams())
    assert again.loc[again["period"] == "2017-01-15", "value"].item() == old["value"]


def test_a_stale_mart_makes_its_indicators_say_so(settings, lake_with_marts) -> None:
    lake = lake_with_marts
    published = pd.Timestamp(lake.published_at(AIR, lake.version(AIR)))
    as_of = published + pd.Timedelta(days=2)  # air_aqi_daily is expected daily
    marts.build(settings, "late", ind.IndicatorParams(grace_hours=12), as_of=as_of)
    rows = lake.read(CITY_INDICATORS)
    air = rows[rows["source"] == AIR.ref]
    assert set(air["freshness"]) == {"stale"}
    age = (as_of - published) / pd.Timedelta(days=1)
    assert set(air["stale_reason"]) == {
        f"curated/air_aqi_daily was last published {published:%Y-%m-%d %H:%M} UTC, {age:.1f} d ago; it is expected every 1D"
    }
    marts.build(settings, "lenient", ind.IndicatorParams(grace_hours=30), as_of=as_of)
    assert set(lake.read(CITY_INDICATORS).query("source == @AIR.ref")["freshness"]) == {"current"}

    marts.build(settings, "late-again", ind.IndicatorParams(grace_hours=12), as_of=as_of)
    brief = marts.publish_brief(settings, "brief-late", as_of=as_of)
    page = lake.read_bytes(brief["files"]["brief.html"]).decode()
    assert "air_city_aqi" in brief["attention"] and "traffic_congestion_hours" in brief["attention"]
    assert (
        f"<li data-indicator='air_city_aqi'>Air quality index: not shown as current: curated/air_aqi_daily was last published {published:%Y-%m-%d %H:%M} UTC"
        in page
    )
    assert "Congestion hours: no figure: curated/traffic_readings_clean has not been published</li>" in page


def test_the_brief_says_what_the_mart_says(settings, lake_with_marts) -> None:
    lake = lake_with_marts
    as_of = pd.Timestamp("2026-12-03 06:00", tz="UTC")
    marts.build(settings, "ind", ind.IndicatorParams(grace_hours=24 * 365 * 20), as_of=as_of)
    result = marts.publish_brief(settings, "brief-1", as_of=as_of)
    assert result["edition"] == "2026-W49" and result["headlines"] == len(ind.INDICATORS)
    page = lake.read_bytes(lake.layout.report_file("weekly_brief", "2026-W49", "brief.html")).decode()
    mart = lake.read(CITY_INDICATORS)
    shown = html_values(page)
    published = {k: v for k, v in shown.items() if v == v}  # NaN: no value
    assert sorted(published) == sorted(
        ["air_city_aqi", "air_good_days_share", "air_heavy_pollution_days", "urban_on_time_rate", "health_signal_days"]
    )
    headlines = mart[mart["headline"]].set_index("indicator")
    assert sorted(headlines.index) == sorted(i.id for i in ind.INDICATORS)  # one each
    for indicator, value in published.items():
        assert value == headlines.loc[indicator, "value"], indicator
    heavy = headlines.loc["air_heavy_pollution_days"]  # January is not complete: its latest period there is
    assert (heavy["period"], heavy["complete"], heavy["is_latest"]) == ("2017-01", False, False)
    assert shown["air_city_aqi"] == 140.0 and shown["air_good_days_share"] == 600 / 7 and shown["urban_on_time_rate"] == 82.5
    assert (
        "<li data-indicator='health_signal_days'>Outbreak signal days: 3 days in pandemic days 7-13, worse than the alert level 2 days</li>"
        in page
    )
    assert (
        "<li data-indicator='air_good_days_share'>Good-air days: 57.1 % &rarr; 85.7 % (2017-W02; red &rarr; green)</li>" in page
    )
    # a chart per series of two periods or more: AQI by day, good days by week, on time by month, signal days by week
    assert re.findall(r"<img alt='(\w+)'", page) == [
        "air_city_aqi",
        "air_good_days_share",
        "urban_on_time_rate",
        "health_signal_days",
    ]

    pdf = lake.read_bytes(result["files"]["brief.pdf"])
    assert pdf.startswith(b"%PDF-") and len(re.findall(rb"/Type /Page\b", pdf)) == 3  # headlines, changes, one page of charts


def test_the_open_data_release_publishes_the_indicators_and_nothing_else(settings, lake_with_marts) -> None:
    lake = lake_with_marts
    marts.build(settings, "ind", as_of=pd.Timestamp(lake.published_at(AIR, lake.version(AIR))))
    released = pd.Timestamp("2026-12-03 07:00", tz="UTC")
    result = open_data.publish_release(settings, "open-1", released=released)
    assert result["release"] == "2026-12-03"
    files = {name: lake.read_bytes(path) for name, path in result["files"].items()}
    assert sorted(files) == sorted(open_data.FILES)
    table = pd.read_csv(io.BytesIO(files["city_indicators.csv"]))
    dictionary = pd.read_csv(io.BytesIO(files["data_dictionary.csv"]))
    assert list(table.columns) == list(dictionary["column"]) == list(open_data.OPEN_COLUMNS)
    assert len(table) == len(lake.read(CITY_INDICATORS)) == result["rows"]
    body = json.loads(files["city_indicators.json"])
    assert (body["licence"], len(body["records"]), body["records"][0].keys() == set(open_data.OPEN_COLUMNS)) == (
        "CC-BY-4.0",
        len(table),
        True,
    )
    manifest = json.loads(files["manifest.json"])
    assert manifest["files"] == {n: hashlib.sha256(b).hexdigest() for n, b in files.items() if n != "manifest.json"}
    assert "curated/urban_kpis" in files["LICENSE.txt"].decode()

    with pytest.raises(open_data.NotPublishable, match=r"^columns not cleared for open data: subject_key \(the release"):
        open_data.release_files(
            lake.read(CITY_INDICATORS).assign(subject_key="ab12"), CITY_INDICATORS, open_data.Licence(), released
        )


def test_congestion_is_read_from_the_speeds_alone(settings) -> None:
    lake = Lake(settings)
    lake.ensure_exists()
    readings = get_table(Zone.CURATED, "traffic_readings_clean")
    hours = pd.date_range("2012-03-05 08:00", periods=48, freq="h", tz="UTC")
    speed = pd.DataFrame({"sensor_id": "s1", "measure": "speed_kmh", "ts_utc": hours, "value": [60.0] * 44 + [20.0] * 4})
    flow = speed.assign(measure="volume_veh_h", value=5.0)  # a flow below 60 % of any speed: counted, it would be congestion
    both = pd.concat([speed, flow]).assign(local_date=lambda f: f["ts_utc"].dt.tz_convert("America/Los_Angeles").dt.date)
    publish(lake, readings, both, "traffic-1")
    marts.build(settings, "ind")
    rows = lake.read(CITY_INDICATORS)
    traffic = rows[(rows["indicator"] == "traffic_congestion_hours") & (rows["grain"] == "day")]
    # 08:00 UTC on 5 March to 07:00 on 7 March is 5 and 6 March in Los Angeles; the four slow hours end the 6th
    assert dict(zip(traffic["period"], traffic["value"])) == {"2012-03-05": 0.0, "2012-03-06": 4.0}
    assert set(traffic["area"]) == {"network"} and set(traffic["freshness"]) == {"current"}


def test_new_targets_republish_the_indicators(settings, lake_with_marts, tmp_path, monkeypatch) -> None:
    lake = lake_with_marts
    marts.build(settings, "ind-1")
    version = lake.version(CITY_INDICATORS)
    marts.build(settings, "ind-2")
    assert lake.version(CITY_INDICATORS) == version  # nothing changed: nothing published
    stricter = ind.targets().reset_index()
    stricter.loc[stricter["indicator"] == "urban_on_time_rate", ["target", "alert"]] = [95.0, 85.0]
    (tmp_path / "targets.csv").write_text(stricter.to_csv(index=False))
    monkeypatch.setenv("CITYLAKE_EGOV_TARGETS", str(tmp_path / "targets.csv"))
    marts.build(settings, "ind-3")
    assert lake.version(CITY_INDICATORS) == version + 1
    rows = lake.read(CITY_INDICATORS)
    june = rows[(rows["indicator"] == "urban_on_time_rate") & (rows["period"] == "2024-06") & (rows["area"] == "city")].iloc[0]
    assert (june["target"], june["alert"], june["light"]) == (95.0, 85.0, "red")  # 82.5 %
