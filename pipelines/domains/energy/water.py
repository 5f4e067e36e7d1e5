"""Water meters, clean -> curated: every meter's anomalous periods by each detector (`water_flow_anomalies`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipelines.config import Settings
from pipelines.domains.energy import anomalies
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.energy import WATER_FLOW_ANOMALIES
from pipelines.lake.runs import idempotency_key, write_run_record
from pipelines.lake.storage import Lake

PIPELINE = "energy_water_marts"
WATER = clean_dataset("water_readings")


def anomalous_periods(readings: pd.DataFrame, params: anomalies.AnomalyParams) -> pd.DataFrame:
    """Every meter's periods by every detector (readings: meter_id, ts_utc, flow_l_s)."""
    frames = []
    for meter, rows in readings.groupby("meter_id", sort=True):
        series = pd.Series(rows["flow_l_s"].to_numpy(float), index=pd.DatetimeIndex(rows["ts_utc"]))
        for detector in anomalies.DETECTORS:
            frames.append(anomalies.detect(series, detector, params).assign(meter_id=meter))
    found = [f for f in frames if len(f)]
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=[*anomalies.PERIOD_COLUMNS, "meter_id"])


def build(settings: Settings, run_id: str, params: anomalies.AnomalyParams | None = None) -> dict[str, Any]:
    """Detect and publish; a summary per detector."""
    params = params or anomalies.AnomalyParams()
    lake = Lake(settings)
    version = lake.require(WATER, "run a water feed's clean DAG first (e.g. water_pipe_flow_clean)")
    readings = lake.read(WATER, version=version, columns=["meter_id", "ts_utc", "flow_l_s"])
    found = anomalous_periods(readings, params).assign(run_id=run_id)
    key = idempotency_key(PIPELINE, WATER_FLOW_ANOMALIES.logic_version, version, repr(params))
    published = lake.publish(WATER_FLOW_ANOMALIES, found, None, run_id, key)
    result = {
        "rows": len(found),
        "version": published.version,
        "input_version": version,
        "meters": int(readings["meter_id"].nunique()),
        "periods_by_detector": {str(k): int(v) for k, v in found["detector"].value_counts().sort_index().items()},
    }
    write_run_record(lake, PIPELINE, run_id, result)
    return result
