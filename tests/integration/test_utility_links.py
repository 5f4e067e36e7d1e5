"""The real monthly bills and a SYNTHETIC building portfolio through their feeds into `energy_utility_links`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.energy import synthetic, utilities
from pipelines.lake.catalog.energy import ENERGY_UTILITY_LINKS
from pipelines.lake.storage import Lake
from tests.conftest import DATA_DIR, require_data, through_feed

pytestmark = pytest.mark.slow


def test_gas_follows_heating_degree_days_and_the_meters_pairs_are_all_there(settings, dask_client, tmp_path) -> None:
    lake = Lake(settings)
    lake.ensure_exists()
    bills_file = require_data(DATA_DIR / "energy" / "utilities_monthly.csv")
    for name, path in (
        ("utilities_monthly", bills_file),
        ("building_meters", synthetic.write_building_meters(tmp_path, buildings=3, start="2024-01-08", days=14)),
    ):
        through_feed(settings, dask_client, name, [path])

    result = utilities.build(settings, "r1")
    found = lake.read(ENERGY_UTILITY_LINKS)
    # the bills, computed here straight from the published CSV: therms a day in kWh against (18 C - mean) degree-days
    raw = pd.read_csv(bills_file)
    raw = raw[raw["day"] <= 31]  # the row dated 5/36/2010 is quarantined by the feed
    hdd = np.clip(18 - (raw["temp"] - 32) * 5 / 9, 0, None)
    use = raw["thermsPerDay"] * 29.307111
    slope, intercept = np.polyfit(hdd, use, 1)
    gas = found[found["kind"] == "degree_days"].iloc[0]
    assert (gas["scope_id"], gas["n"]) == ("kaplan-residence", len(raw) == 116 and 116)
    assert gas["r"] == pytest.approx(np.corrcoef(hdd, use)[0, 1]) and gas["r"] > 0.95
    assert (gas["slope"], gas["intercept"]) == (pytest.approx(slope), pytest.approx(intercept))
    assert gas["ci_low"] < gas["r"] < gas["ci_high"] and gas["n_effective"] < gas["n"]  # monthly bills are autocorrelated
    assert result["degree_days"]["kaplan-residence"]["kwh_per_degree_day"] == round(slope, 2)
    # the meters: 3 buildings x 2 grains x 10 pairs x (lag 0, best lag)
    metered = found[found["scope"] == "building"]
    assert len(metered) == 3 * 2 * 10 * 2 and set(metered["grain"]) == {"hourly", "daily"}
    hourly = metered[(metered["grain"] == "hourly") & (metered["kind"] == "best_lag")]
    assert hourly["lag_steps"].abs().max() <= 6
    heat_gas = metered[(metered["series_a"] == "heat_kw") & (metered["series_b"] == "gas_m3_h") & (metered["kind"] == "lag0")]
    assert (heat_gas["r"] > 0.95).all()  # the generator's gas is the boilers' share of heat
