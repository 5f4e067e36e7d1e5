"""Daily load profiles: energy, peak, base load and load factor by hand; meter copies and clock-change days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.energy import load

PARAMS = load.LoadParams(timezone="UTC", interval="1h", min_copy_readings=3)


def meter(values: list[float], start: str = "2024-01-05", voltage: list[float] | None = None) -> pd.DataFrame:
    ts = pd.date_range(start, periods=len(values), freq="1h", tz="UTC")
    volts = voltage or [230.0 + i % 7 for i in range(len(values))]
    return pd.DataFrame(
        {"meter_id": "m", "utility": "electricity", "ts_utc": ts, "power_kw": values, "measure_0": values, "measure_1": volts}
    )


def test_a_day_by_hand() -> None:
    day = [1.0] * 6 + [2.0] * 12 + [4.0] * 6  # 6 + 24 + 24 = 54 kWh, peak 4 at 18:00
    out = load.daily_profiles(meter(day), PARAMS).iloc[0]
    assert (out["energy_kwh"], out["peak_kw"], out["peak_time_local"], out["mean_kw"]) == (54.0, 4.0, "18:00", 2.25)
    assert out["base_load_kw"] == 1.0 and out["load_factor"] == 2.25 / 4
    assert (out["day_type"], out["readings"], out["missing_readings"], out["quality"], bool(out["usable"])) == (
        "weekday",
        24,
        0,
        "ok",
        True,
    )  # 5 January 2024 was a Friday


def test_a_stretch_copied_from_the_day_before_is_flagged_and_a_short_coincidence_is_not() -> None:
    rng = np.random.default_rng(1)
    first = list(np.round(rng.uniform(0.2, 3, 24), 3))
    second = list(np.round(rng.uniform(0.2, 3, 24), 3))
    second[5:9] = first[5:9]  # four hours copied, in every measure (the voltage repeats daily here: 24 % 7 != 0)
    second[15:17] = first[15:17]  # two equal hours: below min_copy_readings
    volts = [230.0 + (i % 24) % 5 for i in range(48)]
    frame = meter(first + second, voltage=volts)
    flags = load.copied(frame, PARAMS)
    assert np.flatnonzero(flags).tolist() == [29, 30, 31, 32]
    days = load.daily_profiles(frame, PARAMS)
    assert days[["copied_readings", "quality", "usable"]].values.tolist() == [[0, "ok", True], [4, "copied", False]]


def test_gaps_and_the_clock_change_days() -> None:
    dates = pd.Series(pd.to_datetime(["2007-03-25", "2007-10-28", "2007-06-01"]))
    assert load.expected_readings(dates, "Europe/Paris", pd.Timedelta("1min")).tolist() == [1380, 1500, 1440]
    frame = meter([1.0] * 24).drop(index=[3, 4])
    out = load.daily_profiles(frame, PARAMS).iloc[0]
    assert (out["readings"], out["missing_readings"], out["quality"], bool(out["usable"])) == (22, 2, "gaps", False)
    with pytest.raises(ValueError, match="min_copy_readings >= 2"):
        load.LoadParams(timezone="UTC", min_copy_readings=1)


def test_each_meters_interval_is_read_from_its_readings_when_not_declared() -> None:
    hourly = meter([1.0] * 6 + [2.0] * 12 + [4.0] * 6)
    quarter = meter([2.0] * 96).assign(
        meter_id="q", ts_utc=pd.date_range("2024-01-05", periods=96, freq="15min", tz="UTC")
    )  # 15-minute readings of 2 kW: 48 kWh a day
    out = load.daily_profiles(pd.concat([hourly, quarter]), load.LoadParams(timezone="UTC", min_copy_readings=3))
    assert out[["meter_id", "energy_kwh", "readings", "missing_readings"]].values.tolist() == [
        ["m", 54.0, 24, 0],
        ["q", 48.0, 96, 0],
    ]
    assert load.reading_interval(pd.Series(pd.to_datetime(["2024-01-01 00:00", "2024-01-01 00:05"]))) == pd.Timedelta("5min")


def test_a_flat_stretch_repeating_the_day_before_is_not_a_copy() -> None:
    off = meter([0.0] * 48, voltage=[230.0] * 48)  # a heating meter off for two days: equal to the day before, flat
    assert not load.copied(off, PARAMS).any()
    assert load.daily_profiles(off, PARAMS)["quality"].tolist() == ["ok", "ok"]
