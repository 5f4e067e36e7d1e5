"""The real household's year of minute readings through its feed's YAML into `energy_load_profiles`."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.domains.energy import meters
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.energy import ENERGY_LOAD_PROFILES
from pipelines.lake.storage import Lake
from tests.conftest import DATA_DIR, require_data, through_feed

pytestmark = pytest.mark.slow


def test_the_households_copied_days_are_flagged_and_kept_out_of_learning(settings, dask_client) -> None:
    through_feed(settings, dask_client, "household_power", [require_data(DATA_DIR / "energy" / "household_power_2007.csv.gz")])
    lake = Lake(settings)

    result = meters.build(settings, "r1")
    days = lake.read(ENERGY_LOAD_PROFILES).set_index("local_date")
    assert result["rows"] == len(days) == 365 and result["meters"] == 1
    # the packager's copies: two and a half days from 28 April, and shorter stretches in June, July and August
    copied = sorted(d.isoformat() for d in days.index[days["quality"] == "copied"])
    assert copied == ["2007-04-28", "2007-04-29", "2007-04-30", "2007-06-09", "2007-07-15", "2007-08-01"]
    assert days.loc[dt.date(2007, 4, 29), "copied_readings"] == 1440 and not days.loc[dt.date(2007, 4, 29), "usable"]
    assert sorted(result["not_usable"]) == copied and days["usable"].sum() == 365 - 6
    # Paris' clock changes: 23 and 25 hours of readings, complete
    assert days.loc[dt.date(2007, 3, 25), "readings"] == 1380 and days.loc[dt.date(2007, 10, 28), "readings"] == 1500
    assert (days["missing_readings"] == 0).all()
    assert (days["load_factor"] > 0).all() and (days["load_factor"] <= 1).all()
    minutes = lake.read(clean_dataset("energy_readings"), columns=["active_power_kw"])["active_power_kw"]
    assert days["energy_kwh"].sum() == pytest.approx(minutes.sum() / 60)  # every minute's energy, in one day each
