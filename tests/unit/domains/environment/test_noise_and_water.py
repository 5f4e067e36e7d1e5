"""Noise against GB 3096-2008 and surface water classes by GB 3838-2002, on hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.environment import noise, water_quality

TZ = "Asia/Shanghai"


def test_levels_add_as_energy() -> None:
    assert noise.energy_average([60.0, 70.0]) == pytest.approx(10 * math.log10((1e6 + 1e7) / 2))  # 67.40, not 65
    assert round(noise.energy_average([60.0, 70.0]), 2) == 67.40
    assert noise.energy_average([55.0, 55.0, 55.0]) == pytest.approx(55.0)
    assert noise.energy_average([50.0, np.nan]) == pytest.approx(50.0) and math.isnan(noise.energy_average([np.nan]))


def test_the_limits_are_the_standards_table() -> None:
    table = noise.limits()
    assert [(z, t.day_db, t.night_db) for z, t in table.items()] == [
        ("0", 50, 40),
        ("1", 55, 45),
        ("2", 60, 50),
        ("3", 65, 55),
        ("4a", 70, 55),
        ("4b", 70, 60),
    ]


def hours(sensor: str, zone: str, day: str, levels: dict[int, float], lmax: dict[int, float] | None = None) -> pd.DataFrame:
    local = [pd.Timestamp(f"{day} {h:02d}:00", tz=TZ) + pd.Timedelta(days=1 if h < 6 else 0) for h in levels]
    return pd.DataFrame(
        {
            "sensor_id": sensor,
            "zone_class": zone,
            "ts_utc": [t.tz_convert("UTC") for t in local],
            "laeq_db": list(levels.values()),
            "lmax_db": [(lmax or {}).get(h, np.nan) for h in levels],
        }
    )


def test_day_and_night_leq_against_a_zone_2_sensor() -> None:
    day = {h: 58.0 for h in range(6, 22)} | {12: 68.0, 13: 68.0}  # two loud hours in sixteen: Ld 61.3 > 60
    night = {h: 48.0 for h in (22, 23, 0, 1, 2, 3, 4, 5)}  # the night starting on the 1st: Ln 48 < 50
    levels = hours("s1", "2", "2024-05-01", day | night, lmax={23: 66.0})  # 66 > 50 + 15
    out = noise.exceedances(levels, TZ).set_index("period")
    expected_ld = 10 * math.log10((14 * 10**5.8 + 2 * 10**6.8) / 16)  # = 58 + 10 log10(34 / 16)
    assert out.loc["day", "leq_db"] == round(expected_ld, 1) == 61.3
    assert (out.loc["day", "hours"], out.loc["day", "limit_db"], out.loc["day", "excess_db"]) == (16, 60.0, 1.3)
    assert bool(out.loc["day", "exceeded"]) and pd.isna(out.loc["day", "lmax_exceeded"])
    assert (out.loc["night", "leq_db"], out.loc["night", "limit_db"], out.loc["night", "hours"]) == (48.0, 50.0, 8)
    assert (
        not out.loc["night", "exceeded"] and bool(out.loc["night", "lmax_exceeded"]) and out.loc["night", "lmax_limit_db"] == 65
    )
    assert set(out["local_date"].astype(str)) == {"2024-05-01"}  # the night after midnight counts for the 1st


def test_a_period_with_too_few_hours_is_not_judged_and_an_unknown_zone_is_refused() -> None:
    levels = hours("s1", "4a", "2024-05-01", {h: 75.0 for h in range(6, 17)})  # 11 day hours < 12
    out = noise.exceedances(levels, TZ)
    assert out[["period", "hours", "complete"]].values.tolist() == [["day", 11, False]] and pd.isna(out["exceeded"].iloc[0])
    with pytest.raises(ValueError, match=r"zone classes \['5'\] are not in GB 3096-2008"):
        noise.exceedances(levels.assign(zone_class="5"), TZ)


@pytest.mark.parametrize(
    ("parameter", "body", "value", "expected"),
    [
        ("do_mg_l", "river", 7.5, 1),  # at least 7.5: class I, exactly at the limit
        ("do_mg_l", "river", 7.49, 2),
        ("do_mg_l", "river", 2.0, 5),
        ("do_mg_l", "river", 1.99, 6),
        ("codmn_mg_l", "river", 2.0, 1),  # at most 2: class I
        ("codmn_mg_l", "river", 2.01, 2),
        ("codmn_mg_l", "river", 15.0, 5),
        ("codmn_mg_l", "river", 15.01, 6),
        ("nh3n_mg_l", "river", 0.15, 1),
        ("nh3n_mg_l", "river", 1.0, 3),
        ("nh3n_mg_l", "river", 1.01, 4),
        ("tp_mg_l", "river", 0.1, 2),
        ("tp_mg_l", "lake", 0.1, 4),  # lakes and reservoirs have stricter phosphorus limits
        ("tp_mg_l", "lake", 0.2, 5),
        ("tp_mg_l", "lake", 0.21, 6),
    ],
)
def test_each_class_boundary(parameter: str, body: str, value: float, expected: int) -> None:
    limits = water_quality.limits_for(parameter, body)
    assert water_quality.parameter_class(np.array([value]), limits).tolist() == [expected]


def test_the_worst_parameter_sets_the_class_and_is_named() -> None:
    daily = pd.DataFrame(
        {
            "water_body": ["river", "river", "lake", "river"],
            "do_mg_l": [8.0, 4.0, 6.5, np.nan],
            "codmn_mg_l": [3.0, 5.0, 3.0, np.nan],
            "nh3n_mg_l": [0.1, 1.2, 0.4, np.nan],
            "tp_mg_l": [0.05, 0.5, 0.04, np.nan],
        }
    )
    out = water_quality.classify(daily)
    assert out["class_code"].tolist() == [2, 6, 3, 0]
    assert out["class_name"].tolist()[:3] == ["II", "worse than V", "III"] and pd.isna(out["class_name"].iloc[3])
    assert out["limiting_parameters"].tolist()[:3] == ["codmn_mg_l,tp_mg_l", "tp_mg_l", "tp_mg_l"]
    assert pd.isna(out["limiting_parameters"].iloc[3])  # nothing measured: no class, nothing limiting
    assert out["parameters_judged"].tolist() == [4, 4, 4, 0]
    with pytest.raises(ValueError, match="water_body must be one of"):
        water_quality.limits_for("tp_mg_l", "sea")
