"""Congestion early warning from the forecasts. Pure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ALERT_COLUMNS = [
    "sensor_id",
    "target_ts_utc",
    "origin_ts_utc",
    "lead_time_min",
    "predicted_speed_kmh",
    "usual_speed_kmh",
    "threshold_kmh",
    "drop_pct",
    "rule",
    "severity",
]


@dataclass(frozen=True)
class AlertParams:
    """When a forecast raises an alert. Defaults: Caltrans counts a freeway as congested below 35 mph (56 km/h)."""

    threshold_kmh: float = 56.0
    drop_ratio: float = 0.4  # forecast at least 40 % below the usual speed for that time and sensor
    severe_threshold_kmh: float = 32.0  # 20 mph: stop-and-go
    severe_drop_ratio: float = 0.6

    def __post_init__(self) -> None:
        if not 0 < self.drop_ratio <= self.severe_drop_ratio < 1:
            raise ValueError(f"need 0 < drop_ratio ({self.drop_ratio}) <= severe_drop_ratio ({self.severe_drop_ratio}) < 1")
        if not 0 < self.severe_threshold_kmh <= self.threshold_kmh:
            raise ValueError(
                f"need 0 < severe_threshold_kmh ({self.severe_threshold_kmh}) <= threshold_kmh ({self.threshold_kmh})"
            )


def congestion_alerts(forecasts: pd.DataFrame, params: AlertParams) -> pd.DataFrame:
    """One alert per sensor and target time that some forecast flagged, from the earliest forecast that flagged it.

    `forecasts` has sensor_id, origin_ts_utc, target_ts_utc, horizon_min, predicted_speed_kmh, usual_speed_kmh.
    A forecast alerts when it is below the threshold or drops sharply against the usual speed; the
    earliest such forecast (the longest lead time) is kept, since that is when the city could have acted.
    """
    predicted, usual = forecasts["predicted_speed_kmh"], forecasts["usual_speed_kmh"]
    drop = (1 - predicted / usual).where(usual > 0)
    below = predicted < params.threshold_kmh
    sharp = drop >= params.drop_ratio
    flagged = forecasts.assign(drop_pct=100 * drop, below=below, sharp=sharp)[below | sharp.fillna(False)]
    if flagged.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ALERT_COLUMNS})
    flagged = flagged.sort_values(["sensor_id", "target_ts_utc", "horizon_min"], ascending=[True, True, False], kind="stable")
    first = flagged.drop_duplicates(["sensor_id", "target_ts_utc"], keep="first").reset_index(drop=True)
    rule = np.where(
        first["below"] & first["sharp"], "below_threshold+sharp_drop", np.where(first["below"], "below_threshold", "sharp_drop")
    )
    severe = (first["predicted_speed_kmh"] < params.severe_threshold_kmh) | (first["drop_pct"] >= 100 * params.severe_drop_ratio)
    return first.assign(
        lead_time_min=first["horizon_min"].astype("int64"),
        threshold_kmh=params.threshold_kmh,
        rule=rule,
        severity=np.where(severe, "severe", "warning"),
    )[ALERT_COLUMNS]
