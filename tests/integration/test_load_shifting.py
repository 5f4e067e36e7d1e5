"""A SYNTHETIC building portfolio through its feed's YAML into `energy_load_shifting`: the plan keeps each building's
energy, moves only inside the window, and lowers the peak to the optimum found without a solver."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.energy import portfolio, shifting, synthetic
from pipelines.lake.catalog.energy import ENERGY_LOAD_SHIFTING
from pipelines.lake.storage import Lake
from tests.conftest import through_feed

pytestmark = pytest.mark.slow


def test_the_portfolio_plan_keeps_energy_and_reaches_the_optimum(settings, dask_client, tmp_path) -> None:
    meters = synthetic.write_building_meters(tmp_path, buildings=12, start="2024-07-01", days=3)
    assert through_feed(settings, dask_client, "building_meters", [meters]).rows_quarantined == 0
    lake = Lake(settings)

    result = portfolio.build(settings, "r1", portfolio.ShiftParams(last_days=2))
    plan = lake.read(ENERGY_LOAD_SHIFTING)
    assert sorted(result["days"]) == ["2024-07-02", "2024-07-03"] and result["buildings"] == 12
    assert len(plan) == 2 * 12 * 96 == result["rows"]
    by_building = plan.groupby(["local_date", "building_id"])
    np.testing.assert_allclose(by_building["flexible_after_kw"].sum(), by_building["flexible_before_kw"].sum(), rtol=1e-6)
    local_hour = plan["ts_utc"].dt.tz_convert("Asia/Shanghai").dt.hour
    assert (plan.loc[(local_hour < 6) | (local_hour >= 22), "moved_kw"].abs() < 1e-6).all()  # nothing moves at night
    assert (plan["flexible_after_kw"] >= -1e-6).all() and (plan["window"] == "06:00-22:00").all()
    for day, rows in plan.groupby("local_date"):
        totals = rows.groupby("ts_utc")[["fixed_kw", "flexible_before_kw", "flexible_after_kw"]].sum().sort_index()
        window = (totals.index.tz_convert("Asia/Shanghai").hour >= 6) & (totals.index.tz_convert("Asia/Shanghai").hour < 22)
        optimum = shifting.water_filling_peak(totals["fixed_kw"].to_numpy(), totals["flexible_before_kw"].to_numpy(), window)
        after = (totals["fixed_kw"] + totals["flexible_after_kw"]).max()
        assert rows["group_peak_after_kw"].iloc[0] == pytest.approx(after) == pytest.approx(optimum, rel=0.01), day
        assert rows["group_peak_before_kw"].iloc[0] == pytest.approx((totals["fixed_kw"] + totals["flexible_before_kw"]).max())
        assert after < rows["group_peak_before_kw"].iloc[0]
    again = portfolio.build(settings, "r2", portfolio.ShiftParams(last_days=2))
    assert again["version"] == result["version"]  # the same readings and params: nothing republished
    assert pd.Series(result["days"]).map(lambda d: d["peak_after_kw"] < d["peak_before_kw"]).all()
