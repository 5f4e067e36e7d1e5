"""The AQI marts on hand-made hours: averaging periods, validity rules, the O3 8-hour rules, episodes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.domains.environment import marts

TZ = "Asia/Shanghai"


def station_hours(days: int, **columns: list[float]) -> pd.DataFrame:
    """Clean hours of one station from 2013-03-01 00:00 local; pollutants low unless given."""
    n = days * 24
    local = pd.date_range("2013-03-01", periods=n, freq="1h", tz=TZ)
    frame = pd.DataFrame(
        {
            "station": "Test",
            "ts_utc": local.tz_convert("UTC"),
            "pm25_ug_m3": 10.0,
            "pm10_ug_m3": 20.0,
            "so2_ug_m3": 5.0,
            "no2_ug_m3": 20.0,
            "co_mg_m3": 0.5,
            "o3_ug_m3": 100.0,
        }
    )
    for name, values in columns.items():
        frame[name] = np.asarray(values, dtype="float64")
    return frame


def test_daily_o3_uses_only_windows_inside_the_day_and_its_fallbacks() -> None:
    o3 = np.full(96, 100.0)
    o3[23] = 1000.0  # day 1, 23:00 local: must not leak into day 2's 8-hour maximum
    o3[24 + 10 : 24 + 18] = 180.0  # day 2, 10:00-17:00: the 8-hour maximum is 180
    o3[48 : 48 + 12] = np.nan  # day 3, 00:00-11:00 missing: 7 valid 8-hour means (< 14), 12 valid hours (< 20)
    o3[72 + 8 :] = 1000.0  # day 4, 08:00-23:00: 8-hour mean 1000 > 800, so no 8-hour index
    daily = marts.daily_aqi(station_hours(4, o3_ug_m3=o3.tolist())).set_index("local_date")
    days = [pd.Timestamp(f"2013-03-0{d}").date() for d in (1, 2, 3, 4)]
    d1, d2, d3, d4 = (daily.loc[d] for d in days)

    assert d1["o3_max_1h_ug_m3"] == 1000 and d1["iaqi_o3_1h"] == 400
    assert d1["o3_max_8h_ug_m3"] == 212.5 and d1["iaqi_o3_8h"] == 148  # 100 + 50 * 52.5 / 55 = 147.7
    assert d2["o3_max_8h_ug_m3"] == 180 and d2["iaqi_o3_8h"] == 119
    assert d2["iaqi_o3_1h"] == 75  # 180 ug/m3 1-hour: 50 + 50 * 20 / 40
    assert (d2["aqi"], d2["primary_pollutants"], d2["aqi_category"], d2["aqi_level"]) == (119, "O3", "Lightly polluted", 3)
    # the other indices of day 2, by hand: PM2.5 10 -> 14.3, PM10 20 -> 20, SO2 5 -> 5, NO2 20 -> 25, CO 0.5 -> 12.5
    assert [d2[c] for c in ("iaqi_pm25", "iaqi_pm10", "iaqi_so2", "iaqi_no2", "iaqi_co")] == [15, 20, 5, 25, 13]
    assert pd.isna(d3["o3_max_8h_ug_m3"]) and pd.isna(d3["iaqi_o3_8h"]) and pd.isna(d3["iaqi_o3_1h"])
    assert d3["iaqi_count"] == 5
    assert d4["o3_max_8h_ug_m3"] == 1000 and pd.isna(d4["iaqi_o3_8h"])
    assert (d4["aqi"], d4["primary_pollutants"], d4["aqi_category"]) == (400, "O3", "Severely polluted")


def test_daily_means_need_20_valid_hours() -> None:
    pm25 = np.full(48, 80.0)
    pm25[:5] = np.nan  # day 1: 19 valid hours
    pm25[24:28] = np.nan  # day 2: 20 valid hours
    daily = marts.daily_aqi(station_hours(2, pm25_ug_m3=pm25.tolist()))
    assert pd.isna(daily.loc[0, "pm25_24h_ug_m3"]) and pd.isna(daily.loc[0, "iaqi_pm25"])
    assert daily.loc[1, "pm25_24h_ug_m3"] == 80 and daily.loc[1, "iaqi_pm25"] == 107
    assert daily["valid_hours"].tolist() == [24, 24]


def test_hourly_index_uses_24_hour_mean_for_particles_and_1_hour_values_for_gases() -> None:
    pm25 = [10.0] * 23 + [300.0]
    no2 = [20.0] * 23 + [150.0]
    hourly = marts.hourly_aqi(station_hours(1, pm25_ug_m3=pm25, no2_ug_m3=no2))
    assert pd.isna(hourly.loc[18, "iaqi_pm25"])  # 19 hours so far: no valid 24-hour mean yet
    assert hourly.loc[19, "iaqi_pm25"] == 15  # 20 hours of 10 ug/m3
    last = hourly.iloc[23]
    assert round(last["pm25_24h_ug_m3"], 4) == round((23 * 10 + 300) / 24, 4)
    assert last["iaqi_pm25"] == 32  # 22.08 ug/m3 -> 31.5, not the 350 a 1-hour reading of 300 would give
    assert last["iaqi_no2"] == 75  # NO2 1-hour breakpoints
    assert len(hourly) == 24 and hourly["local_hour"].tolist() == list(range(24))


def test_hourly_rows_only_for_hours_present() -> None:
    hours = station_hours(1).drop(index=[5, 6])
    hourly = marts.hourly_aqi(hours)
    assert len(hourly) == 22
    assert 5 not in hourly["local_hour"].tolist()


def test_episodes_are_runs_of_consecutive_heavy_hours() -> None:
    start = pd.Timestamp("2016-12-01T00:00Z")
    aqi = {0: 100, 1: 250, 2: 300, 3: 260, 5: 220, 6: 210, 7: 90, 8: None, 9: 205}  # hour 4 absent
    hourly = pd.DataFrame(
        {
            "station": "Test",
            "ts_utc": [start + pd.Timedelta(hours=h) for h in aqi],
            "local_date": [(start + pd.Timedelta(hours=h)).tz_convert(TZ).date() for h in aqi],
            "aqi": pd.array(list(aqi.values()), dtype="Int16"),
            "aqi_category": [
                "Good",
                "Heavily polluted",
                "Heavily polluted",
                "Heavily polluted",
                "Heavily polluted",
                "Heavily polluted",
                "Good",
                None,
                "Heavily polluted",
            ],
            "primary_pollutants": ["PM10", "PM2.5", "PM2.5,PM10", "PM2.5", "PM2.5", "PM2.5", "PM10", None, "O3"],
        }
    )
    episodes = marts.episodes(hourly)
    assert episodes["hours"].tolist() == [3, 2, 1]
    assert episodes["start_utc"].tolist() == [start + pd.Timedelta(hours=h) for h in (1, 5, 9)]
    assert episodes["end_utc"].tolist() == [start + pd.Timedelta(hours=h) for h in (4, 7, 10)]
    assert episodes["peak_aqi"].tolist() == [300, 220, 205]
    assert episodes["primary_pollutant"].tolist() == ["PM2.5,PM10", "PM2.5", "O3"]
    assert episodes["mean_aqi"].tolist() == [270.0, 215.0, 205.0]
    assert episodes["episode_id"].tolist() == ["Test-20161201T01Z", "Test-20161201T05Z", "Test-20161201T09Z"]


def test_the_month_counts_the_days_with_an_aqi_by_level() -> None:
    daily = pd.DataFrame(
        {
            "station": "Test",
            "local_date": [
                pd.Timestamp(d).date() for d in ("2013-03-01", "2013-03-02", "2013-03-31", "2013-04-01", "2013-04-02")
            ],
            "aqi": pd.array([50, 250, None, 120, 90], dtype="Int16"),
            "aqi_level": pd.array([1, 5, None, 3, 2], dtype="Int8"),
        }
    )
    monthly = marts.monthly_aqi(daily)
    assert monthly.to_dict("records") == [
        {
            "station": "Test",
            "month": pd.Timestamp("2013-03-01").date(),
            "days_with_aqi": 2,
            "mean_aqi": 150.0,
            "max_aqi": 250,
            "days_good": 1,
            "days_polluted": 1,
            "days_heavily_polluted": 1,
        },
        {
            "station": "Test",
            "month": pd.Timestamp("2013-04-01").date(),
            "days_with_aqi": 2,
            "mean_aqi": 105.0,
            "max_aqi": 120,
            "days_good": 1,
            "days_polluted": 1,
            "days_heavily_polluted": 0,
        },
    ]
    assert marts.monthly_aqi(daily.iloc[2:3]).empty  # a month without any daily AQI has no row
