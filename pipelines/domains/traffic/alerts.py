"""Congestion early warning from the forecasts, per measure. Pure.

- speed: below a speed threshold, or sharply below the usual speed for that time and sensor;
- occupancy: above an occupancy threshold (the loop is covered long enough that traffic is queuing);
- volume: the forecast flow near the sensor's capacity (volume against capacity, v/c).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ALERT_RULES = ("speed_kmh", "occupancy_pct", "volume_veh_h")  # the measures a congestion rule is known for
ALERT_COLUMNS = [
    "sensor_id",
    "measure",
    "unit",
    "target_ts_utc",
    "origin_ts_utc",
    "lead_time_min",
    "predicted",
    "usual",
    "threshold",
    "drop_pct",
    "rule",
    "severity",
    "basis",
]


@dataclass(frozen=True)
class AlertParams:
    """When a forecast raises an alert.

    Speed: Caltrans counts a freeway as congested below 35 mph (56 km/h), stop-and-go below 20 mph (32 km/h).
    Occupancy: above about 25 % a freeway loop sees queuing traffic (flow breaks down near 20-30 %).
    Volume: at 90 % of capacity (v/c 0.9, level of service E); a sensor's capacity is `capacity_veh_h`, or when
    not given the highest flow it carried in training (its 99th percentile).
    """

    threshold_kmh: float = 56.0
    drop_ratio: float = 0.4  # forecast at least 40 % below the usual speed for that time and sensor
    severe_threshold_kmh: float = 32.0  # 20 mph: stop-and-go
    severe_drop_ratio: float = 0.6
    occupancy_threshold_pct: float = 25.0
    severe_occupancy_pct: float = 40.0
    volume_capacity_ratio: float = 0.9
    severe_volume_capacity_ratio: float = 1.0
    capacity_veh_h: float | None = None

    def __post_init__(self) -> None:
        if not 0 < self.drop_ratio <= self.severe_drop_ratio < 1:
            raise ValueError(f"need 0 < drop_ratio ({self.drop_ratio}) <= severe_drop_ratio ({self.severe_drop_ratio}) < 1")
        if not 0 < self.severe_threshold_kmh <= self.threshold_kmh:
            raise ValueError(
                f"need 0 < severe_threshold_kmh ({self.severe_threshold_kmh}) <= threshold_kmh ({self.threshold_kmh})"
            )
        if not 0 < self.occupancy_threshold_pct <= self.severe_occupancy_pct <= 100:
            raise ValueError(
                f"need 0 < occupancy_threshold_pct ({self.occupancy_threshold_pct}) <= severe_occupancy_pct "
                f"({self.severe_occupancy_pct}) <= 100"
            )
        if not 0 < self.volume_capacity_ratio <= self.severe_volume_capacity_ratio:
            raise ValueError(
                f"need 0 < volume_capacity_ratio ({self.volume_capacity_ratio}) <= severe_volume_capacity_ratio "
                f"({self.severe_volume_capacity_ratio})"
            )
        if self.capacity_veh_h is not None and self.capacity_veh_h <= 0:
            raise ValueError(f"capacity_veh_h must be positive, not {self.capacity_veh_h}")


def estimated_capacity(flow_veh_h: np.ndarray, params: AlertParams) -> np.ndarray:
    """Per sensor (columns), the capacity in vehicles per hour: the declared one, else the 99th percentile of its flow."""
    if params.capacity_veh_h is not None:
        return np.full(flow_veh_h.shape[1], params.capacity_veh_h)
    high = np.full(flow_veh_h.shape[1], np.nan)
    seen = np.isfinite(flow_veh_h).any(axis=0)  # a sensor that never counted has no capacity to compare with
    if seen.any():
        high[seen] = np.nanpercentile(flow_veh_h[:, seen], 99, axis=0)
    return np.where(high > 0, high, np.nan)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ALERT_COLUMNS})


def _flagged(forecasts: pd.DataFrame, predicted: pd.Series, params: AlertParams, measure: str) -> pd.DataFrame:
    """The forecasts whose `predicted` values cross the measure's rule, with the rule's columns."""
    usual = forecasts["usual"]
    drop = (1 - predicted / usual).where(usual > 0)
    if measure == "speed_kmh":
        threshold = pd.Series(params.threshold_kmh, index=forecasts.index)
        crossed = predicted < threshold
        sharp = (drop >= params.drop_ratio).fillna(False)
        severe = (predicted < params.severe_threshold_kmh) | (drop >= params.severe_drop_ratio).fillna(False)
        names = ("below_threshold", "sharp_drop")
    elif measure == "occupancy_pct":
        threshold = pd.Series(params.occupancy_threshold_pct, index=forecasts.index)
        crossed, sharp = predicted >= threshold, pd.Series(False, index=forecasts.index)
        severe = predicted >= params.severe_occupancy_pct
        names = ("above_threshold", "")
    elif measure == "volume_veh_h":
        capacity = forecasts["capacity"]
        threshold = params.volume_capacity_ratio * capacity
        crossed, sharp = (predicted >= threshold).fillna(False), pd.Series(False, index=forecasts.index)
        severe = (predicted >= params.severe_volume_capacity_ratio * capacity).fillna(False)
        names = ("near_capacity", "")
    else:
        raise ValueError(f"no congestion rule for the measure {measure!r}")
    flagged = forecasts.assign(
        drop_pct=100 * drop if measure == "speed_kmh" else np.nan,
        threshold=threshold,
        crossed=crossed,
        sharp=sharp,
        severe=severe,
    )[crossed | sharp]
    rule = np.where(
        flagged["crossed"] & flagged["sharp"], f"{names[0]}+{names[1]}", np.where(flagged["crossed"], names[0], names[1])
    )
    return flagged.assign(rule=rule)


def congestion_alerts(forecasts: pd.DataFrame, params: AlertParams, measure: str, unit: str) -> pd.DataFrame:
    """One alert per sensor and target time that some forecast flagged, from the earliest forecast that flagged it.

    `forecasts` has sensor_id, origin_ts_utc, target_ts_utc, horizon_min, predicted, usual, for volumes `capacity`
    (the sensor's, vehicles per hour), and, when the forecasts carry prediction intervals, `lower` and `upper`. A
    forecast that crosses the rule raises a `warning` or `severe` alert (basis `point`); where none does but the
    pessimistic end of an interval does (speed: the lower end; occupancy, volume: the upper end), a `watch` (basis
    `interval`). The earliest flagging forecast (the longest lead time) is kept, since that is when the city could
    have acted; a point alert wins over an interval one for the same sensor and time.
    """
    point = _flagged(forecasts, forecasts["predicted"], params, measure).assign(
        basis="point", severity=lambda f: np.where(f["severe"], "severe", "warning")
    )
    parts = [point]
    if {"lower", "upper"} <= set(forecasts.columns):
        pessimistic = forecasts["lower"] if measure == "speed_kmh" else forecasts["upper"]
        parts.append(_flagged(forecasts, pessimistic, params, measure).assign(basis="interval", severity="watch"))
    flagged = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(len(p) for p in parts) else point
    if flagged.empty:
        return _empty()
    flagged = flagged.assign(point_first=flagged["basis"] != "point").sort_values(
        ["sensor_id", "target_ts_utc", "point_first", "horizon_min"], ascending=[True, True, True, False], kind="stable"
    )
    first = flagged.drop_duplicates(["sensor_id", "target_ts_utc"], keep="first").reset_index(drop=True)
    return first.assign(measure=measure, unit=unit, lead_time_min=first["horizon_min"].astype("int64"))[ALERT_COLUMNS]
