"""HJ 633-2012 arithmetic against values worked out by hand from the standard's tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.environment import aqi


def one(table: aqi.Breakpoints, concentration: float) -> float:
    return float(table.iaqi(np.array([concentration]))[0])


@pytest.mark.parametrize(
    ("table", "concentration", "expected"),
    [
        (aqi.PM25_24H, 0, 0),
        (aqi.PM25_24H, 35, 50),  # breakpoint edge: both segments give 50
        (aqi.PM25_24H, 35.5, 51),  # 50 + 50 * 0.5 / 40 = 50.625, rounded up
        (aqi.PM25_24H, 75, 100),
        (aqi.PM25_24H, 80, 107),  # 100 + 50 * 5 / 40 = 106.25
        (aqi.PM25_24H, 250, 300),
        (aqi.PM25_24H, 500, 500),
        (aqi.PM25_24H, 650, 500),  # beyond the top breakpoint: the end of the scale
        (aqi.PM10_24H, 200, 125),  # 100 + 50 * 50 / 100
        (aqi.SO2_24H, 500, 154),  # 150 + 50 * 25 / 325 = 153.85
        (aqi.SO2_1H, 600, 134),  # 100 + 50 * 100 / 150 = 133.3
        (aqi.SO2_1H, 800, 200),
        (aqi.NO2_1H, 150, 75),
        (aqi.NO2_24H, 100, 110),  # 100 + 50 * 20 / 100
        (aqi.CO_24H, 2.5, 63),  # 2500 ug/m3 = 2.5 mg/m3: 50 + 50 * 0.5 / 2 = 62.5
        (aqi.CO_1H, 2.5, 25),
        (aqi.CO_1H, 12, 104),  # 100 + 50 * 2 / 25
        (aqi.O3_1H, 250, 125),
        (aqi.O3_8H, 180, 119),  # 100 + 50 * 20 / 55 = 118.2
        (aqi.O3_8H, 800, 300),
    ],
)
def test_iaqi_hand_worked(table: aqi.Breakpoints, concentration: float, expected: int) -> None:
    assert one(table, concentration) == expected


@pytest.mark.parametrize(
    ("table", "concentration"), [(aqi.O3_8H, 801), (aqi.SO2_1H, 801), (aqi.PM25_24H, -1), (aqi.PM25_24H, math.nan)]
)
def test_iaqi_not_applicable(table: aqi.Breakpoints, concentration: float) -> None:
    assert math.isnan(one(table, concentration))


def test_so2_above_800_one_hour_uses_the_24_hour_mean() -> None:
    result = aqi.so2_hourly_iaqi(np.array([600.0, 900.0, 900.0]), np.array([10.0, 500.0, np.nan]))
    assert result[0] == 134  # from the 1-hour value
    assert result[1] == 154  # from the 24-hour mean of 500
    assert math.isnan(result[2])  # no valid 24-hour mean: no SO2 index


@pytest.mark.parametrize(
    ("value", "level", "category"),
    [
        (0, 1, "Excellent"),
        (50, 1, "Excellent"),
        (51, 2, "Good"),
        (100, 2, "Good"),
        (101, 3, "Lightly polluted"),
        (200, 4, "Moderately polluted"),
        (201, 5, "Heavily polluted"),
        (300, 5, "Heavily polluted"),
        (301, 6, "Severely polluted"),
        (500, 6, "Severely polluted"),
    ],
)
def test_categories(value: int, level: int, category: str) -> None:
    levels, categories = aqi.categorize(pd.Series([value], dtype="Int16"))
    assert (levels.iloc[0], categories.iloc[0]) == (level, category)


def test_combine_takes_the_maximum_and_names_tied_primary_pollutants() -> None:
    iaqis = pd.DataFrame({"a": [125.0, 40.0, np.nan, 80.0], "b": [125.0, 20.0, np.nan, 90.0], "c": [60.0, np.nan, np.nan, 90.0]})
    result = aqi.combine(iaqis, {"a": "PM2.5", "b": "PM10", "c": "O3"})
    assert result["aqi"].tolist() == [125, 40, pd.NA, 90]
    # AQI <= 50 has no primary pollutant; O3 counted once even if both of its indices tie
    assert result["primary_pollutants"].tolist() == ["PM2.5,PM10", None, None, "PM10,O3"]
    assert result["aqi_category"].tolist() == ["Lightly polluted", "Excellent", None, "Good"]
    assert result["iaqi_count"].tolist() == [3, 2, 0, 3]
