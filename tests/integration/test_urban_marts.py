"""SYNTHETIC city-management cases over the real Chicago community areas, through both channels' feeds (the
system's CSV in WGS84 and local clock times; the hotline's JSON lines with offsets, GCJ-02 and nested fields) into
the urban marts: the planted hotspots, recurring problems and slow department are what comes out."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.cleanse.geo import read_districts
from pipelines.domains.urban import marts, synthetic
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.urban import URBAN_HOTSPOTS, URBAN_KPIS, URBAN_RECURRENCE
from pipelines.lake.storage import Lake
from tests.conftest import DATA_DIR, require_data, through_feed

pytestmark = pytest.mark.slow


def test_planted_hotspots_recurring_problems_and_the_slow_department_come_out(settings, dask_client, tmp_path) -> None:
    districts = read_districts(require_data(DATA_DIR / "urban" / "chicago_community_areas.geojson"), "COMMUNITY")
    cases, truth = synthetic.urban_cases(districts, weeks=6, per_week=800, hotspots=6, recurring=4, seed=5)
    system, hotline = synthetic.write_urban_files(cases, tmp_path)
    first = through_feed(settings, dask_client, "city_management_system", [system])
    second = through_feed(settings, dask_client, "citizen_hotline", [hotline], run_id="r2")
    assert (first.rows_quarantined, second.rows_quarantined) == (0, 0)
    lake = Lake(settings)
    clean = lake.read(clean_dataset("urban_cases")).set_index("case_id")
    assert len(clean) == len(cases) and set(clean["source"]) == {"inspector", "camera", "hotline"}
    # the hotline's nested stages and offsets, read to the same instants as generated
    one = cases[cases["source"] == "hotline"].iloc[0]
    assert clean.loc[one["case_id"], "dispatched_utc"] == one["dispatched_utc"]
    assert clean.loc[one["case_id"], "kind"] == one["kind"] and clean["district"].notna().mean() > 0.99

    result = marts.build(settings, "u1")
    assert result["cases"] == len(cases) and result["classes_without_service_level"] == []
    found = lake.read(URBAN_HOTSPOTS)
    planted = {(week.date(), cell) for week, cell in truth.hotspots}
    detected = {(row.week_start, row.peak_cell) for row in found.itertuples()}
    assert len(planted) == 6 and detected == planted  # precision and recall 1.0 on this seed
    kpi = lake.read(URBAN_KPIS)
    by_department = kpi.groupby("department")[["on_time", "judged"]].sum()
    rates = (by_department["on_time"] / by_department["judged"]).sort_values()
    assert rates.index[0] == truth.slow_department and rates.iloc[0] < 0.5 < rates.iloc[1]
    assert kpi["cases"].sum() == len(cases) and set(kpi["month"]) == {dt.date(2024, 3, 1), dt.date(2024, 4, 1)}
    again = lake.read(URBAN_RECURRENCE)
    recurring = {(r.grid_cell, r.kind, r.class_code) for r in again.itertuples()}
    assert all(t in recurring for t in truth.recurring)
    every_five_days = again[again["grid_cell"] == truth.recurring[0][0]]
    assert every_five_days["occurrence"].max() == 9 and every_five_days["days_since_previous"].between(4, 6).all()

    rerun = marts.build(settings, "u2")
    assert rerun[URBAN_KPIS.name]["version"] == result[URBAN_KPIS.name]["version"]  # nothing new: nothing published
