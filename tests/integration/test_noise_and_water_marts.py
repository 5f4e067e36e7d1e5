"""Noise and surface water through their feeds (SYNTHETIC files with planted trouble) into their marts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipelines.domains.environment import monitoring, synthetic_monitors
from pipelines.lake.catalog.environment import NOISE_EXCEEDANCES, WATER_QUALITY_CLASS
from pipelines.lake.storage import Lake
from tests.conftest import through_feed

pytestmark = pytest.mark.slow
START, DAYS = dt.date(2024, 6, 1), 28


def test_planted_construction_nights_and_a_spill_are_found(settings, dask_client, tmp_path) -> None:
    lake = Lake(settings)
    lake.ensure_exists()
    noise_file, planted = synthetic_monitors.write_noise_file(tmp_path, START, DAYS)
    water_file, spill = synthetic_monitors.write_water_quality_file(tmp_path, START, DAYS)
    for name, path in (("noise_sensors", noise_file), ("water_quality_stations", water_file)):
        assert through_feed(settings, dask_client, name, [path]).rows_quarantined == 0, name

    result = monitoring.build(settings, "r1")
    noise = lake.read(NOISE_EXCEEDANCES)
    assert (
        result["noise_exceedances"]["rows"] == len(noise) == len(noise[["sensor_id", "local_date", "period"]].drop_duplicates())
    )
    assert set(noise["sensor_id"]) == set(synthetic_monitors.NOISE_SENSORS)
    judged = noise[noise["complete"]]
    assert len(judged) >= 0.9 * len(noise)  # 2 % of hours lost: nearly every period is judged
    # the residential sensor: loud exactly on the construction nights, with the 2 a.m. pile driver over limit + 15
    residential = judged[(judged["sensor_id"] == "SynthN1") & (judged["period"] == "night")].set_index("local_date")
    built = residential.index.isin(planted.construction_nights)
    assert built.sum() == len(planted.construction_nights) == DAYS // 7
    assert residential.loc[built, "exceeded"].all() and not residential.loc[~built, "exceeded"].any()
    assert residential.loc[built, "lmax_exceeded"].all() and (residential["limit_db"] == 45).all()
    # the arterial road's nights run above its 55 dB(A); its days and the quiet zones' stay within the limits
    road = judged[(judged["sensor_id"] == "SynthN4a") & (judged["period"] == "night")]
    assert road["exceeded"].mean() > 0.9 and (road["limit_db"] == 55).all()
    quiet = judged[(judged["sensor_id"].isin(["SynthN0", "SynthN2"])) & (judged["period"] == "day")]
    assert not quiet["exceeded"].any()
    assert (noise.loc[noise["period"] == "day", "lmax_db"].isna()).all()

    water = lake.read(WATER_QUALITY_CLASS)
    assert len(water) == len(synthetic_monitors.WATER_STATIONS) * DAYS and (water["samples"] == 6).all()
    middle = water[water["station"] == spill.station].set_index("local_date")
    spilled = middle.index.isin(spill.dates)
    assert spilled.sum() == len(spill.dates) == 2
    assert (middle.loc[spilled, "class_name"] == "worse than V").all()
    assert set(middle.loc[spilled, "limiting_parameters"]) == {"nh3n_mg_l,tp_mg_l"}
    assert (middle.loc[~spilled, "class_code"] <= 4).all()  # no other day is worse than IV
    upstream = water[water["station"] == "SynthRiverUp"]
    assert (upstream["class_code"] <= 3).all() and upstream["parameters_judged"].eq(4).all()
    result_again = monitoring.build(settings, "r2")  # same inputs: nothing republished
    assert result_again["water_quality_class"]["version"] == result["water_quality_class"]["version"]
    assert pd.Series(result["water_quality_class"]["days_by_class"]).sum() == len(water)
