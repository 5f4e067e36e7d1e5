"""The indicators' computations worked by hand on small frames, their periods, lights, targets and staleness."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.egov import indicators as ind
from pipelines.domains.egov.periods import by_calendar, calendar_periods, period_start
from pipelines.lake.catalog.egov import INDICATOR_SOURCES

PARAMS = ind.IndicatorParams()


def values(rows: pd.DataFrame, grain: str, area: str = "city") -> dict[str, float]:
    picked = rows[(rows["grain"] == grain) & (rows["area"] == area)]
    return dict(zip(picked["period"], picked["value"]))


def test_periods_follow_iso_weeks_months_and_quarters_across_a_year_end() -> None:
    days = pd.Series(pd.to_datetime(["2015-12-31", "2016-01-01", "2016-01-04", "2016-03-31"]))
    weeks = calendar_periods(days, "week")
    assert list(weeks["period"]) == ["2015-W53", "2015-W53", "2016-W01", "2016-W13"]
    assert list(weeks["period_start"].dt.date) == [dt.date(2015, 12, 28)] * 2 + [dt.date(2016, 1, 4), dt.date(2016, 3, 28)]
    assert list(calendar_periods(days, "quarter")["period"]) == ["2015-Q4", "2016-Q1", "2016-Q1", "2016-Q1"]
    assert list(calendar_periods(days, "month")["period_end"].dt.date)[-1] == dt.date(2016, 3, 31)
    assert [period_start(p).date() for p in ("2019", "2019-Q3", "2019-07", "2015-W53", "2019-07-09")] == [
        dt.date(2019, 1, 1),
        dt.date(2019, 7, 1),
        dt.date(2019, 7, 1),
        dt.date(2015, 12, 28),
        dt.date(2019, 7, 9),
    ]
    with pytest.raises(ValueError, match=r"^unknown grain 'fortnight'; known: day, week, month, quarter, year$"):
        calendar_periods(days, "fortnight")


def test_a_period_past_the_sources_last_day_is_incomplete() -> None:
    daily = pd.DataFrame({"day": pd.date_range("2024-02-26", "2024-03-06"), "area": "city", "x": 1.0})
    rows = by_calendar(daily, ("week", "month"), np.sum)
    assert dict(zip(rows["period"], rows["complete"])) == {"2024-W09": True, "2024-W10": False, "2024-02": True, "2024-03": False}
    assert dict(zip(rows["period"], rows["value"])) == {"2024-W09": 7.0, "2024-W10": 3.0, "2024-02": 4.0, "2024-03": 6.0}


def test_the_latest_is_the_last_complete_period_beside_the_one_before() -> None:
    air = pd.DataFrame({"local_date": pd.date_range("2017-01-02", periods=10).date, "aqi": [50, 150] * 5})
    rows = ind.compute(ind.get_indicator("air_good_days_share"), air, PARAMS)
    week = rows[rows["grain"] == "week"].set_index("period")
    assert week.loc["2017-W01", ["value", "complete", "is_latest"]].tolist() == [pytest.approx(400 / 7), True, True]
    assert week.loc["2017-W02", ["value", "complete", "is_latest"]].tolist() == [pytest.approx(100 / 3), False, False]
    assert week.loc["2017-W02", "previous_value"] == pytest.approx(400 / 7)


def test_congestion_hours_are_counted_against_each_sensors_free_flow() -> None:
    hours = pd.date_range("2012-03-05", periods=48, freq="h", tz="UTC")
    fast = pd.DataFrame({"sensor_id": "fast", "ts_utc": hours, "value": [65.0] * 45 + [30.0] * 3})
    slow = pd.DataFrame({"sensor_id": "slow", "ts_utc": hours, "value": [30.0] * 40 + [10.0] * 8})
    both = pd.concat([fast, slow]).assign(local_date=lambda f: f["ts_utc"].dt.date)
    rows = ind.compute(ind.get_indicator("traffic_congestion_hours"), both, PARAMS)
    # day 2: fast is below 0.6 x 65 for 3 hours, slow below 0.6 x 30 for 8: 11 congested hours over 2 sensors
    assert values(rows, "day", "network") == {"2012-03-05": 0.0, "2012-03-06": 5.5}
    assert values(rows, "week", "network") == {"2012-W10": 2.75}
    strict = ind.compute(ind.get_indicator("traffic_congestion_hours"), both, ind.IndicatorParams(congestion_ratio=0.4))
    assert values(strict, "day", "network") == {"2012-03-05": 0.0, "2012-03-06": 4.0}  # 30 >= 0.4 x 65; 10 < 0.4 x 30


def test_forecast_error_is_weighted_by_points_and_keeps_the_measures_unit() -> None:
    scores = pd.DataFrame(
        {
            "domain": "traffic",
            "measure": "speed",
            "unit": "mph",
            "day": [dt.date(2012, 6, 4)] * 3,
            "mae": [2.0, 5.0, 1.0],
            "points": [10, 30, 100],
            "is_champion": [True, True, False],
        }
    )
    rows = ind.compute(ind.get_indicator("traffic_forecast_mae"), scores, PARAMS)
    assert values(rows, "day", "speed") == {"2012-06-04": 4.25} and set(rows["unit"]) == {"mph"}


def test_crimes_are_summed_per_district_and_city_without_the_suppressed_cells() -> None:
    cells = pd.DataFrame(
        {
            "period": ["2019", "2019", "2019", "2020", "2020"],
            "granularity": "year",
            "district": ["1", "1", "2", "1", "2"],
            "incidents": [4, 6, None, 12, 3],
        }
    )
    rows = ind.compute(ind.get_indicator("crime_incidents"), cells, PARAMS)
    assert values(rows, "year") == {"2019": 10.0, "2020": 15.0}
    assert values(rows, "year", "1") == {"2019": 10.0, "2020": 12.0}
    assert values(rows, "year", "2") == {"2020": 3.0}
    city_2020 = rows[(rows["area"] == "city") & (rows["period"] == "2020")].iloc[0]
    assert (city_2020["previous_value"], city_2020["change"], city_2020["is_latest"]) == (10.0, 5.0, True)


def test_urban_on_time_is_a_share_of_the_judged_cases() -> None:
    kpis = pd.DataFrame(
        {"month": [dt.date(2024, 5, 1)] * 3, "district": ["A", "A", "B"], "judged": [10, 0, 30], "on_time": [7, 0, 30]}
    )
    rows = ind.compute(ind.get_indicator("urban_on_time_rate"), kpis, PARAMS)
    assert values(rows, "month") == {"2024-05": 92.5} and values(rows, "month", "A") == {"2024-05": 70.0}
    assert rows["complete"].all()


def test_emergency_counts_are_by_the_citys_local_day_and_warnings_count_each_hour_once() -> None:
    incidents = pd.DataFrame({"first_report_utc": pd.to_datetime(["2025-05-12 15:30", "2025-05-12 16:30"], utc=True)})
    by_shanghai = ind.compute(ind.get_indicator("emergency_incidents"), incidents, PARAMS)
    assert values(by_shanghai, "day") == {"2025-05-12": 1.0, "2025-05-13": 1.0}  # 16:30 UTC is past midnight at UTC+8
    by_utc = ind.compute(ind.get_indicator("emergency_incidents"), incidents, ind.IndicatorParams(timezone="UTC"))
    assert values(by_utc, "day") == {"2025-05-12": 2.0}
    warnings = pd.DataFrame({"line_id": ["a", "a", "b"], "target_ts_utc": pd.to_datetime(["2025-05-12 10:00"] * 3, utc=True)})
    assert values(ind.compute(ind.get_indicator("emergency_warnings"), warnings, PARAMS), "day") == {"2025-05-12": 2.0}


def test_the_electricity_peak_and_what_shifting_shaves_off_it() -> None:
    plan = pd.DataFrame(
        {
            "local_date": [dt.date(2025, 1, 6)] * 4,
            "group_id": ["g1", "g1", "g2", "g2"],  # one row per building and slot: the group's peaks repeat
            "group_peak_before_kw": [100.0, 100.0, 400.0, 400.0],
            "group_peak_after_kw": [90.0, 90.0, 380.0, 380.0],
        }
    )
    assert values(ind.compute(ind.get_indicator("electricity_group_peak_kw"), plan, PARAMS), "day") == {"2025-01-06": 500.0}
    reduction = ind.compute(ind.get_indicator("electricity_peak_reduction_pct"), plan, PARAMS)
    assert values(reduction, "day") == {"2025-01-06": pytest.approx(7.5)}  # the mean of 10 % and 5 %


def test_positivity_leaves_out_the_withheld_days_and_signal_days_count_any_method() -> None:
    daily = pd.DataFrame(
        {
            "dimension": ["age_band"] * 8 + ["clinic"],
            "category": ["all"] * 7 + ["0-17", "all"],
            "pandemic_day": [0, 1, 2, 3, 4, 5, 6, 6, 6],
            "tests": [100, 100, 50, None, 50, 100, 100, 20, 999],
            "positives": [5, 10, 5, None, 0, 10, 20, 1, 999],
        }
    )
    rows = ind.compute(ind.get_indicator("health_positivity"), daily, PARAMS)
    assert values(rows, "pandemic_week") == {"pandemic days 0-6": 10.0}  # 50 positives of 500 tests published
    assert rows["period_start"].isna().all() and rows["complete"].all()
    signals = pd.DataFrame(
        {
            "pandemic_day": range(10),
            "c1_signal": [True, False, False, False, False, False, False, True, False, False],
            "c2_signal": [True, True, False, False, False, False, False, False, False, False],
            "c3_signal": [False] * 10,
            "cusum_signal": [False, False, False, False, False, False, True, False, None, True],
        }
    )
    counted = ind.compute(ind.get_indicator("health_signal_days"), signals, PARAMS)
    assert values(counted, "pandemic_week") == {"pandemic days 0-6": 3.0, "pandemic days 7-13": 2.0}
    assert dict(zip(counted["period"], counted["complete"])) == {"pandemic days 0-6": True, "pandemic days 7-13": False}


@pytest.mark.parametrize(
    ("value", "better", "light"),
    [
        (80, "higher", "green"),
        (79.9, "higher", "amber"),
        (60, "higher", "amber"),
        (59.9, "higher", "red"),
        (80, "lower", "amber"),
        (60, "lower", "green"),
        (80.1, "lower", "red"),
        (float("nan"), "lower", "no value"),
        (70, "", "no target"),
    ],
)
def test_traffic_lights(value: float, better: str, light: str) -> None:
    target, alert = (80, 60) if better == "higher" else (60, 80)
    assert ind.traffic_light(value, target, alert, better) == light
    assert ind.traffic_light(5, float("nan"), float("nan"), "lower") == "no target"


def test_the_targets_file_covers_every_indicator_and_nothing_else() -> None:
    assert sorted(ind.targets().index) == sorted(i.id for i in ind.INDICATORS)
    assert sorted({i.source for i in ind.INDICATORS}) == sorted(INDICATOR_SOURCES)  # the catalog's lineage is complete
    rows = "\n".join(f"{i.id},,," for i in ind.INDICATORS if i.id != "air_city_aqi")
    with pytest.raises(
        ValueError, match=r"^targets: unknown indicators \['air_aqi'\], indicators without a row \['air_city_aqi'\]$"
    ):
        ind.read_targets(f"indicator,target,alert,basis\n{rows}\nair_aqi,1,2,x\n")
    with pytest.raises(ValueError, match=r"^targets: give both a target and an alert level, or neither: \['air_city_aqi'\]$"):
        ind.read_targets(f"indicator,target,alert,basis\n{rows}\nair_city_aqi,100,,x\n")


def test_a_source_is_stale_past_its_cadence_and_grace() -> None:
    published = pd.Timestamp("2026-12-01 02:00", tz="UTC")
    source = ind.SourceState("curated/air_aqi_daily", 7, published, "1D")
    assert source.staleness(published + pd.Timedelta(hours=24), 0) == ""
    assert source.staleness(published + pd.Timedelta(hours=30), 0) == (
        "curated/air_aqi_daily was last published 2026-12-01 02:00 UTC, 1.2 d ago; it is expected every 1D"
    )
    assert source.staleness(published + pd.Timedelta(hours=30), 6) == ""
    assert ind.SourceState("curated/x").staleness(published, 0) == "curated/x has not been published"


def test_params_come_from_a_dags_params_with_their_types() -> None:
    params = ind.IndicatorParams.from_dict({"timezone": "Europe/Berlin", "grace_hours": 6, "congestion_ratio": "0.5"})
    assert params == ind.IndicatorParams("Europe/Berlin", 6.0, 0.5)
    with pytest.raises(
        ValueError,
        match=r"^unknown indicator params \['zone'\]; known: timezone, grace_hours, congestion_ratio, congestion_measure$",
    ):
        ind.IndicatorParams.from_dict({"zone": "UTC"})
