"""Readings on the grid: short gaps interpolated and flagged, long and edge gaps left missing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.traffic.panel import curate_measure, fill_short_gaps, panel_from_rows, panel_rows, regular_panel

STEP = pd.Timedelta("5min")
T0 = pd.Timestamp("2012-03-01 08:00", tz="UTC")


def readings(values: dict[str, list[float | None]]) -> pd.DataFrame:
    rows = [
        {"sensor_id": sensor, "ts_utc": T0 + i * STEP, "value": v}
        for sensor, series in values.items()
        for i, v in enumerate(series)
        if v is not None or sensor == "a"
    ]
    return pd.DataFrame(rows).astype({"value": "float64"})


def test_short_gaps_are_interpolated_long_and_edge_gaps_stay_missing() -> None:
    # a: NaN readings delivered as null; b: readings simply absent from the delivery
    raw = readings(
        {
            "a": [None, 60, None, None, 90, 50, None, None, None, None, 50, None],
            "b": [80, 80, None, 70, 70, 70, 70, 70, 70, 70, 70, 70],
        }
    )
    panel = fill_short_gaps(regular_panel(raw, STEP), max_gap_steps=3)
    assert panel.sensors == ("a", "b") and len(panel.times) == 12
    a, b = panel.values[:, 0], panel.values[:, 1]
    assert np.isnan(a[0]) and np.isnan(a[11])  # before the first and after the last reading
    assert a[1:5].tolist() == [60.0, 70.0, 80.0, 90.0]
    assert np.isnan(a[6:10]).all()  # 4 steps: longer than 15 minutes
    assert b[2] == 75.0
    rows = panel_rows(panel, "America/Los_Angeles")
    assert rows["status"].value_counts().to_dict() == {"observed": 15, "missing": 6, "interpolated": 3}
    assert rows[(rows.sensor_id == "b") & (rows.status == "interpolated")]["ts_utc"].tolist() == [T0 + 2 * STEP]
    assert set(rows["local_date"].astype(str)) == {"2012-03-01"}


def test_rows_round_trip_to_the_same_panel() -> None:
    raw = readings({"a": [None, 60, None, 80], "b": [50, 55, 60, 65]})
    panel = fill_short_gaps(regular_panel(raw, STEP), max_gap_steps=3)
    back = panel_from_rows(panel_rows(panel, "UTC"), STEP)
    assert back.sensors == panel.sensors
    np.testing.assert_array_equal(back.values, panel.values)
    np.testing.assert_array_equal(back.observed, panel.observed)
    assert back.observed[:, 0].tolist() == [False, True, False, True]


def test_off_grid_readings_are_refused_with_the_offending_time() -> None:
    raw = pd.DataFrame({"sensor_id": ["a", "a"], "ts_utc": [T0, T0 + pd.Timedelta("7min")], "value": [1.0, 2.0]})
    with pytest.raises(
        ValueError,
        match=r"1 readings are not on the 0 days 00:05:00 grid starting 2012-03-01 08:00:00\+00:00, e.g. 2012-03-01 08:07:00\+00:00",
    ):
        regular_panel(raw, STEP)


def test_each_sensor_keeps_its_native_step_and_no_more_than_the_declared_gap_is_filled() -> None:
    """A 15-minute count beside a 5-minute one: neither is regridded; a 15-minute gap is filled, 30 minutes is not."""
    quarter = pd.Timedelta("15min")
    rows = [
        {"sensor_id": "q", "ts_utc": T0 + i * quarter, "volume_veh_h": v}
        for i, v in enumerate([100, None, 300, None, None, 90, 80, 70])
    ]
    rows += [{"sensor_id": "f", "ts_utc": T0 + i * STEP, "volume_veh_h": 10.0 + i} for i in range(6)]
    rows += [{"sensor_id": "q", "ts_utc": T0 + pd.Timedelta("20min"), "volume_veh_h": 7.0}]  # between q's grid points
    rows += [{"sensor_id": "lone", "ts_utc": T0, "volume_veh_h": 5.0}]  # one reading: no step to place it on
    readings = pd.DataFrame(rows).dropna(subset=["volume_veh_h"])
    curated = curate_measure(readings, "volume_veh_h", pd.Timedelta("15min"), "UTC")
    assert (curated.off_grid, curated.single_readings, curated.steps) == (1, ("lone",), {5: 1, 15: 1})
    q = curated.rows[curated.rows.sensor_id == "q"]
    assert q["ts_utc"].tolist() == [T0 + i * quarter for i in range(8)]  # 8 quarter-hours, not 22 five-minute steps
    assert q["value"].tolist()[:3] == [100.0, 200.0, 300.0] and np.isnan(q["value"].tolist()[3:5]).all()
    assert q["status"].tolist()[:6] == ["observed", "interpolated", "observed", "missing", "missing", "observed"]
    assert set(q["step_min"]) == {15} and set(curated.rows[curated.rows.sensor_id == "f"]["step_min"]) == {5}
    assert set(curated.rows["measure"]) == {"volume_veh_h"}
    assert len(curated.rows) == 8 + 6
