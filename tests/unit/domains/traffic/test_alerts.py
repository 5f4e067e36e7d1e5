"""Congestion alerts: which forecasts raise one, how severe, and the earliest warning kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.traffic.alerts import ALERT_COLUMNS, AlertParams, congestion_alerts, estimated_capacity

T = pd.Timestamp("2012-03-07 16:00", tz="UTC")


def forecast(sensor: str, target_min: int, horizon: int, predicted: float, usual: float) -> dict:
    target = T + pd.Timedelta(minutes=target_min)
    return {
        "sensor_id": sensor,
        "origin_ts_utc": target - pd.Timedelta(minutes=horizon),
        "target_ts_utc": target,
        "horizon_min": horizon,
        "predicted": predicted,
        "usual": usual,
    }


def test_threshold_and_sharp_drop_with_severity_and_the_longest_lead() -> None:
    rows = pd.DataFrame(
        [
            forecast("a", 60, 15, 50.0, 60.0),  # below 56 km/h, drop 17 %: warning
            forecast("a", 60, 60, 54.0, 60.0),  # same target, earlier forecast: this one is kept
            forecast("b", 60, 30, 60.0, 110.0),  # above 56 but 45 % below usual: sharp drop, warning
            forecast("c", 60, 15, 30.0, 100.0),  # below 32 and 70 % drop: severe, both rules
            forecast("d", 60, 15, 90.0, 100.0),  # fine
            forecast("e", 60, 15, 58.0, 0.0),  # no usual speed to compare with, above the threshold: fine
        ]
    )
    alerts = congestion_alerts(rows, AlertParams(), "speed_kmh", "km/h")
    assert list(alerts.columns) == ALERT_COLUMNS
    assert alerts[["sensor_id", "lead_time_min", "rule", "severity"]].values.tolist() == [
        ["a", 60, "below_threshold", "warning"],
        ["b", 30, "sharp_drop", "warning"],
        ["c", 15, "below_threshold+sharp_drop", "severe"],
    ]
    assert alerts["predicted"].tolist() == [54.0, 60.0, 30.0]
    assert alerts[["measure", "unit"]].drop_duplicates().values.tolist() == [["speed_kmh", "km/h"]]
    assert alerts["drop_pct"].round(6).tolist() == [10.0, round(100 * 50 / 110, 6), 70.0]
    assert alerts["threshold"].unique().tolist() == [56.0]


def test_no_alert_gives_an_empty_table_with_the_contract_columns() -> None:
    alerts = congestion_alerts(pd.DataFrame([forecast("d", 5, 15, 90.0, 100.0)]), AlertParams(), "speed_kmh", "km/h")
    assert alerts.empty and list(alerts.columns) == ALERT_COLUMNS


def test_inconsistent_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match=r"need 0 < drop_ratio \(0.7\) <= severe_drop_ratio \(0.6\) < 1"):
        AlertParams(drop_ratio=0.7)
    with pytest.raises(ValueError, match=r"need 0 < severe_threshold_kmh \(60.0\) <= threshold_kmh \(56.0\)"):
        AlertParams(severe_threshold_kmh=60.0)


def test_occupancy_above_its_threshold_and_volume_near_capacity_never_by_speed_rules() -> None:
    occupancy = pd.DataFrame(
        [
            forecast("a", 60, 15, 24.9, 10.0),  # below 25 %: fine, however far above usual
            forecast("b", 60, 15, 30.0, 12.0),  # queuing: warning
            forecast("c", 60, 30, 45.0, 12.0),  # at least 40 %: severe
        ]
    )
    alerts = congestion_alerts(occupancy, AlertParams(), "occupancy_pct", "%")
    assert alerts[["sensor_id", "rule", "severity", "threshold"]].values.tolist() == [
        ["b", "above_threshold", "warning", 25.0],
        ["c", "above_threshold", "severe", 25.0],
    ]
    assert alerts["drop_pct"].isna().all() and alerts["unit"].unique().tolist() == ["%"]

    volume = pd.DataFrame(
        [
            forecast("a", 60, 15, 80.0, 90.0) | {"capacity": 100.0},  # v/c 0.8: fine
            forecast("b", 60, 15, 95.0, 60.0) | {"capacity": 100.0},  # v/c 0.95: warning
            forecast("c", 60, 15, 130.0, 60.0) | {"capacity": 120.0},  # over capacity: severe
            forecast("d", 60, 15, 500.0, 60.0) | {"capacity": np.nan},  # no capacity known: no rule to apply
        ]
    )
    alerts = congestion_alerts(volume, AlertParams(), "volume_veh_h", "veh/h")
    assert alerts[["sensor_id", "rule", "severity"]].values.tolist() == [
        ["b", "near_capacity", "warning"],
        ["c", "near_capacity", "severe"],
    ]
    assert alerts["threshold"].tolist() == [90.0, 108.0]  # 0.9 of each sensor's capacity


def test_capacity_is_declared_or_the_highest_flow_a_sensor_carried() -> None:
    flow = np.array([[100.0, np.nan], [200.0, np.nan], [300.0, np.nan]])
    np.testing.assert_allclose(estimated_capacity(flow, AlertParams()), [298.0, np.nan])
    assert estimated_capacity(flow, AlertParams(capacity_veh_h=1800.0)).tolist() == [1800.0, 1800.0]


def test_an_interval_whose_pessimistic_end_crosses_raises_a_watch_and_a_point_alert_wins() -> None:
    def with_interval(row: dict, halfwidth: float) -> dict:
        return {**row, "lower": row["predicted"] - halfwidth, "upper": row["predicted"] + halfwidth}

    rows = pd.DataFrame(
        [
            with_interval(forecast("a", 60, 60, 60.0, 70.0), 5.0),  # lower end 55 < 56: a watch, 60 min ahead
            with_interval(forecast("a", 60, 15, 54.0, 70.0), 5.0),  # the point crosses 15 min ahead: this one is kept
            with_interval(forecast("b", 60, 30, 59.0, 70.0), 4.0),  # lower end 55: only a watch
            with_interval(forecast("c", 60, 15, 70.0, 70.0), 5.0),  # lower end 65: nothing
            with_interval(forecast("o", 60, 15, 20.0, 10.0), 6.0),  # occupancy: the upper end (26 %) crosses 25 %
        ]
    )
    speed = congestion_alerts(rows[rows["sensor_id"] != "o"], AlertParams(), "speed_kmh", "km/h")
    assert speed[["sensor_id", "lead_time_min", "severity", "basis", "predicted"]].values.tolist() == [
        ["a", 15, "warning", "point", 54.0],
        ["b", 30, "watch", "interval", 59.0],
    ]
    occupancy = congestion_alerts(rows[rows["sensor_id"] == "o"], AlertParams(), "occupancy_pct", "%")
    assert occupancy[["sensor_id", "severity", "basis", "rule"]].values.tolist() == [
        ["o", "watch", "interval", "above_threshold"]
    ]
