"""Urban management by hand: Gi* on a small grid, a case late by one minute, a problem back on the 30th day and
not on the 31st, service levels by class and by large class."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.urban import classes, hotspots, kpis

T0 = pd.Timestamp("2024-03-04 16:00", tz="UTC")  # 10:00 in Chicago


def test_gi_star_of_one_busy_cell_by_hand() -> None:
    grid = np.zeros((5, 5))
    grid[2, 2] = 10  # n = 25, mean 0.4, s = sqrt(100/25 - 0.16) = 1.9596
    z = hotspots.gi_star(grid)
    # the cell and its neighbours: (10 - 0.4 x 9) / (1.9596 x sqrt((25 x 9 - 81) / 24)) = 6.4 / 4.8 = 1.3333
    assert z[2, 2] == pytest.approx(4 / 3) and z[1, 1] == pytest.approx(4 / 3)
    # a corner sees 4 cells, none busy: -1.6 / (1.9596 x sqrt((100 - 16) / 24)) = -0.4364
    assert z[0, 0] == pytest.approx(-1.6 / (np.sqrt(3.84) * np.sqrt(3.5)))
    assert (hotspots.gi_star(np.zeros((3, 3))) == 0).all()  # nothing happened: nothing stands out


def cases_in(cells: dict[str, int], week: str = "2024-03-04") -> pd.DataFrame:
    rows = [(f"{cell}#{i}", cell) for cell, n in cells.items() for i in range(n)]
    return pd.DataFrame(
        {
            "case_id": [r[0] for r in rows],
            "grid_cell": [r[1] for r in rows],
            "week_start": pd.Timestamp(week).date(),
            "latitude": 41.8,
            "longitude": -87.6,
            "district": "LOOP",
        }
    )


def test_a_hotspot_needs_a_high_gi_and_enough_cases_and_touching_cells_are_one() -> None:
    background = {f"0.001:100:{c}": 1 for c in range(0, 40, 4)} | {f"0.001:{r}:0": 1 for r in range(100, 140, 4)}
    busy = {"0.001:120:20": 9, "0.001:120:21": 6, "0.001:130:30": 4}  # two touching busy cells; one with 4 cases
    scored, found = hotspots.weekly_hotspots(cases_in(background | busy), hotspots.HotspotParams(z_min=3.29, min_cases=5))
    assert found[["peak_cell", "cells", "cases", "peak_cases"]].values.tolist() == [["0.001:120:20", 2, 15, 9]]
    four = scored.set_index("grid_cell").loc["0.001:130:30"]
    assert four["gi_z"] > 3.29 and four["cases"] == 4  # significant, but four cases are not a hotspot
    with pytest.raises(ValueError, match="different sizes"):
        hotspots.weekly_hotspots(cases_in({"0.001:1:1": 1, "0.002:1:1": 1}), hotspots.HotspotParams())


def case(case_id: str, disposed_after_h: float | None, code: str = "0505") -> dict:
    dispatched = T0 + pd.Timedelta(hours=1)
    return {
        "case_id": case_id,
        "ts_utc": T0,
        "kind": "event",
        "class_code": code,
        "department": None,
        "registered_utc": T0 + pd.Timedelta(minutes=30),
        "dispatched_utc": dispatched,
        "disposed_utc": dispatched + pd.Timedelta(hours=disposed_after_h) if disposed_after_h is not None else pd.NaT,
        "checked_utc": pd.NaT,
        "closed_utc": pd.NaT,
        "reopened": 0,
        "district": "LOOP",
    }


def test_a_case_disposed_one_minute_after_its_deadline_is_late() -> None:
    levels = classes.service_levels()
    assert classes.level_of("event", "0505", levels) == classes.ServiceLevel("street order", 4.0)  # by its large class
    assert classes.level_of("component", "0111", levels) == classes.ServiceLevel("gas utility", 4.0)  # its own row
    frame = pd.DataFrame([case("at", 4.0), case("late", 4 + 1 / 60), case("open", None)])
    levelled = classes.with_levels(frame, levels)
    assert (
        levelled["department"].tolist() == ["street order"] * 3
        and levelled["class_name"].iloc[0] == "illegally parked motor vehicle"
    )
    before = kpis.on_time(levelled, T0 + pd.Timedelta(hours=5))  # the open case's deadline is 15:00 UTC + 4 h: not yet
    after = kpis.on_time(levelled, T0 + pd.Timedelta(hours=5, minutes=1))
    assert before.tolist() == [True, False, pd.NA] and after.tolist() == [True, False, False]
    row = kpis.disposal_kpis(levelled, "America/Chicago", T0 + pd.Timedelta(hours=5)).iloc[0]
    assert (row["cases"], row["judged"], row["on_time"], row["on_time_rate"]) == (3, 2, 1, 0.5)
    assert (row["median_register_hours"], row["median_dispatch_hours"]) == (0.5, 0.5)
    assert row["median_dispose_hours"] == pytest.approx(4 + 1 / 120)  # the median of 4 h and 4 h 1 min
    assert str(row["month"]) == "2024-03-01" and row["deadline_hours"] == 4.0
    with pytest.raises(classes.UnknownClass, match="no service level for event class 9901"):
        classes.level_of("event", "9901", levels)


def test_a_problem_back_on_the_30th_day_recurs_and_on_the_31st_starts_again() -> None:
    days = [0, 30, 61, 70]
    frame = pd.DataFrame(
        {
            "case_id": [f"c{d}" for d in days],
            "grid_cell": "0.001:1:1",
            "kind": "event",
            "class_code": "0501",
            "ts_utc": [T0 + pd.Timedelta(days=d) for d in days],
            "district": "LOOP",
        }
    )
    other = frame.assign(case_id=["o1", "o2", "o3", "o4"], class_code="0102", grid_cell="0.001:1:2")
    out = kpis.recurrences(pd.concat([frame, other.iloc[:1]]), within_days=30)
    assert out[["case_id", "previous_case_id", "days_since_previous", "occurrence"]].values.tolist() == [
        ["c30", "c0", 30.0, 2],
        ["c70", "c61", 9.0, 2],
    ]
