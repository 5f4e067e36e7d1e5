"""Held out, by configuration alone (YAML, no code): a second household year in the publisher's raw format, and
another region's demand in a dataset a grid operator declared, go into the load profiles and the day-ahead load
forecasts. The files are made here from the real 2007 year (re-dated, re-formatted) and a seeded demand generator
(SYNTHETIC): what is held out is the configuration, not the numbers."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.compute import dask_client
from pipelines.config import PROJECT_ROOT, load_settings
from pipelines.domains.energy import load_forecasting, meters
from pipelines.forecasting.backtest import BacktestPlan
from pipelines.lake.catalog.energy import ENERGY_LOAD_FORECAST, ENERGY_LOAD_PROFILES
from pipelines.lake.catalog.traffic import MODEL_LEADERBOARD
from pipelines.lake.storage import Lake
from tests.conftest import DATA_DIR, require_data, through_feed

pytestmark = pytest.mark.slow

CORPUS = PROJECT_ROOT / "tests" / "onboarding_corpus"

# the UCI file as its publisher distributes it: one file for 2006-2010, ';'-separated, day-first dates, '?' missing
RAW_HOUSEHOLD_FEED = """\
name: household_power_raw
department: energy
description: Minute readings of the household's meter in the publisher's own format, a year the project has not seen
origin: UCI "Individual household electric power consumption" (household_power_consumption.txt)
dataset: energy_readings
suite: energy_readings
landing_pattern: "household_power_consumption*.txt"
format: {type: csv, delimiter: ";"}
null_markers: ["?", ""]
derive:
  read_at: {concat: [Date, Time], sep: " "}
time:
  column: read_at
  format: "%d/%m/%Y %H:%M:%S"
  timezone: Etc/GMT-1
  local_timezone: Europe/Paris
  expected_interval: 1min
columns:
  meter_id: {constant: sceaux-household-1}
  active_power_kw: {source: Global_active_power, unit: kW}
  reactive_power_kw: {source: Global_reactive_power, unit: kW}
  voltage_v: {source: Voltage, unit: V}
  current_a: {source: Global_intensity, unit: A}
  sub_metering_1_kwh: {source: Sub_metering_1, unit: Wh}
  sub_metering_2_kwh: {source: Sub_metering_2, unit: Wh}
  sub_metering_3_kwh: {source: Sub_metering_3, unit: Wh}
"""

REGION_LOADS = """\
dataset: electricity_demand
meter: {column: region}
utilities:
  electricity: {column: demand_mw}
temperature: temperature_c
"""


@pytest.fixture
def held_out_config(tmp_path, monkeypatch) -> Path:
    """The project's YAML folders plus the new files: a feed, a dataset and its suite, a load declaration."""
    sources, expectations, load_files = tmp_path / "sources", tmp_path / "expectations", tmp_path / "loads"
    shutil.copytree(PROJECT_ROOT / "sources", sources)
    shutil.copytree(PROJECT_ROOT / "expectations", expectations)
    shutil.copytree(PROJECT_ROOT / "loads", load_files)
    (sources / "household_power_raw.yaml").write_text(RAW_HOUSEHOLD_FEED, encoding="utf-8")
    shutil.copy(CORPUS / "sources" / "regional_demand_gw.yaml", sources)
    shutil.copy(CORPUS / "expectations" / "electricity_demand.json", expectations)
    (load_files / "electricity_demand.yaml").write_text(REGION_LOADS, encoding="utf-8")
    for name, folder in {"SOURCES": sources, "EXPECTATIONS": expectations, "LOADS": load_files}.items():
        monkeypatch.setenv(f"CITYLAKE_{name}_DIR", str(folder))
    monkeypatch.setenv("CITYLAKE_DATASETS_DIR", str(CORPUS / "datasets"))
    return tmp_path


def second_household_year(folder: Path, days: int = 21) -> Path:
    """January 2007's real minutes re-dated to January 2008, in the raw format: an hour lost ('?') on the 5th, and on
    the 12th the morning copied from the 11th (how the publisher's gaps were filled)."""
    with gzip.open(require_data(DATA_DIR / "energy" / "household_power_2007.csv.gz"), "rt") as handle:
        minutes = pd.read_csv(handle, nrows=days * 1440, dtype=str)
    when = pd.to_datetime(minutes.pop("date_time")) + pd.DateOffset(years=1)
    values = minutes.to_numpy(dtype=object)
    lost = (when >= "2008-01-05 10:00") & (when < "2008-01-05 11:00")
    values[np.asarray(lost)] = "?"
    morning = np.flatnonzero((when >= "2008-01-12 06:00") & (when < "2008-01-12 12:00"))
    values[morning] = values[morning - 1440]
    raw = pd.DataFrame(values, columns=minutes.columns)
    raw.insert(0, "Time", when.dt.strftime("%H:%M:%S"))
    raw.insert(0, "Date", when.dt.strftime("%d/%m/%Y"))
    path = folder / "household_power_consumption_2008.txt"
    raw.to_csv(path, sep=";", index=False)
    return path


def regional_demand(folder: Path, days: int = 21, seed: int = 3) -> Path:
    """SYNTHETIC hourly demand of two regions in GW with the temperature in Fahrenheit, Tokyo offsets: a daily
    double peak, lower weekends, cooling load on hot afternoons."""
    rng = np.random.default_rng(seed)
    local = pd.date_range("2024-07-01", periods=24 * days, freq="1h", tz="Asia/Tokyo")
    hour, weekend = local.hour.to_numpy(), local.dayofweek.to_numpy() >= 5
    temp_c = 27 + 5 * np.sin(2 * np.pi * (hour - 9) / 24) + rng.normal(0, 1, len(local))
    rows = []
    for region, base in (("Kanto", 40.0), ("Kansai", 20.0)):
        shape = 0.75 + 0.15 * np.exp(-(((hour - 10) / 3) ** 2)) + 0.2 * np.exp(-(((hour - 19) / 2.5) ** 2))
        demand = base * shape * np.where(weekend, 0.85, 1.0) * (1 + 0.02 * np.clip(temp_c - 26, 0, None))
        demand *= 1 + rng.normal(0, 0.01, len(local))
        rows.append(
            pd.DataFrame(
                {
                    "region": region,
                    "timestamp": local.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(r"(\d\d)(\d\d)$", r"\1:\2", regex=True),
                    "demand_gw": np.round(demand, 3),
                    "temp_f": np.round(temp_c * 9 / 5 + 32, 1),
                }
            )
        )
    path = folder / "regional_demand_2024_07.csv"
    pd.concat(rows, ignore_index=True).to_csv(path, index=False)
    return path


def test_a_second_household_year_and_another_regions_demand_by_yaml_alone(settings, held_out_config) -> None:
    with dask_client(load_settings(dask_workers=2)) as client:  # workers started with the folders above
        check_held_out(settings, client, held_out_config)


def check_held_out(settings, dask_client, held_out_config: Path) -> None:
    household = through_feed(settings, dask_client, "household_power_raw", [second_household_year(held_out_config)])
    region = through_feed(settings, dask_client, "regional_demand_gw", [regional_demand(held_out_config)])
    assert (household.rows_quarantined, region.rows_quarantined) == (0, 0)
    lake = Lake(settings)

    result = meters.build(settings, "r1")
    assert result["meters"] == 3 and sorted(result["input_versions"]) == ["electricity_demand", "energy_readings"]
    days = lake.read(ENERGY_LOAD_PROFILES).set_index(["dataset", "meter_id", "local_date"]).sort_index()
    home = days.loc[("energy_readings", "sceaux-household-1")]
    assert len(home) == 21 and home.index.min() == dt.date(2008, 1, 1)
    assert home.loc[dt.date(2008, 1, 5), ["quality", "missing_readings"]].tolist() == ["gaps", 60]
    assert home.loc[dt.date(2008, 1, 12), ["quality", "copied_readings"]].tolist() == ["copied", 360]
    assert home.index[~home["usable"]].tolist() == [dt.date(2008, 1, 12)]  # an hour lost is 4.2 % of the day: usable
    kanto = days.loc[("electricity_demand", "Kanto")]
    assert len(kanto) == 21 and (kanto["quality"] == "ok").all() and (kanto["readings"] == 24).all()
    # GW in the file, kW in the mart: a Kanto day of about 40 GW x 24 h
    assert 0.7e9 < kanto["energy_kwh"].iloc[0] < 1.1e9 and kanto["peak_time_local"].iloc[0] in {"18:00", "19:00", "20:00"}

    params = load_forecasting.LoadForecastParams(horizons_h=(1, 24), plan=BacktestPlan(test_fraction=0.25, folds=1))
    trained = load_forecasting.train(settings, "t1", dask_client, params)
    assert trained["electricity_demand"]["series"] == 2 and trained["energy_readings"]["series"] == 1
    assert trained["electricity_demand"]["hours"] == 21 * 24
    board = lake.read(MODEL_LEADERBOARD, filters=[("domain", "=", "energy")])
    assert sorted(board["measure"].unique()) == ["load:electricity_demand", "load:energy_readings"]
    scored = load_forecasting.score(settings, "s1", dask_client, params)
    assert scored["electricity_demand"]["origin_utc"] == "2024-07-21T14:00:00+00:00"  # 23:00 in Tokyo on the 21st
    forecasts = lake.read(ENERGY_LOAD_FORECAST, filters=[("dataset", "=", "electricity_demand")])
    assert sorted(forecasts["meter_id"].unique()) == ["Kansai", "Kanto"] and len(forecasts) == 2 * 2 * 4
    champion = forecasts[forecasts["is_champion"] & (forecasts["horizon_min"] == 1440) & (forecasts["meter_id"] == "Kanto")]
    assert 25e6 < champion["predicted"].iloc[0] < 45e6  # the next day's 23:00 in kW: tens of GW
