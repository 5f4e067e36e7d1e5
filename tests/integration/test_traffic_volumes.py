"""Traffic beyond speed: a SYNTHETIC 15-minute volume feed, by YAML alone, through curate, train, score and alerts,
with no invented value: every count on its native 15-minute step, gaps longer than 15 minutes left missing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.traffic import pipeline
from pipelines.domains.traffic.params import TrafficParams
from pipelines.domains.traffic.synthetic import synthetic_volume_counts
from pipelines.flows import clean as clean_flow
from pipelines.lake import delta
from pipelines.lake.catalog.traffic import CONGESTION_ALERTS, MODEL_LEADERBOARD, TRAFFIC_FORECAST, TRAFFIC_READINGS_CLEAN
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake
from pipelines.sources.registry import get_source

pytestmark = pytest.mark.slow
DETECTORS, DAYS = 4, 10
PARAMS = TrafficParams.from_dict(
    {
        "measure": "volume_veh_h",
        "timezone": "America/Los_Angeles",
        "models": ["last_value", "historical_average", "linear_ridge"],
        "horizons_min": [15, 60],
        "plan": {"test_fraction": 0.2, "folds": 2},
        "factor_repeats": 1,
    }
)


def expected_statuses(delivered: pd.DataFrame) -> dict[str, int]:
    """Counted from the delivery: a lone missing quarter between two counts is interpolated, longer gaps are not."""
    counts = {"observed": 0, "interpolated": 0, "missing": 0}
    for _, series in delivered.groupby("detector"):
        missing = series["vehicles"].eq("").to_numpy()
        runs = np.flatnonzero(np.diff(np.concatenate(([0], missing.astype(int), [0]))))
        for start, stop in zip(runs[::2], runs[1::2]):
            inner = start > 0 and stop < len(missing)
            counts["interpolated" if inner and stop - start == 1 else "missing"] += stop - start
        counts["observed"] += int((~missing).sum())
    return counts


def test_a_15_minute_volume_feed_end_to_end_without_invented_values(settings, dask_client) -> None:
    lake = Lake(settings)
    lake.ensure_exists()
    feed = get_source("loop_volumes_15min")
    delivered = synthetic_volume_counts(DETECTORS, DAYS, seed=5)
    lake.write_bytes(
        f"{lake.layout.landing_dir(feed.name)}/SYNTHETIC_loop_volumes_15min.csv", delivered.to_csv(index=False).encode()
    )
    clean_flow.ingest(settings, feed, "r1", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    summary = clean_flow.clean(settings, feed, "r1", dask_client)
    assert (summary.rows_in, summary.rows_clean, summary.rows_quarantined) == (len(delivered), len(delivered), 0)

    curated = pipeline.curate_readings(settings, "r1", PARAMS)
    volume = curated["measures"]["volume_veh_h"]
    steps = DAYS * 96
    assert list(curated["measures"]) == ["volume_veh_h"] and volume["sensors_by_step_min"] == {"15": DETECTORS}
    assert volume["rows"] == DETECTORS * steps  # 96 quarter-hours a day, not 288 five-minute steps
    statuses = expected_statuses(delivered)
    assert {k: volume[k] for k in statuses} == statuses and volume["missing"] >= 8 * DETECTORS  # the two-hour outages
    rows = delta.read_table(lake, lake.layout.table(Zone.CURATED, TRAFFIC_READINGS_CLEAN.name))
    assert set(rows["unit"]) == {"veh/h"} and set(rows["step_min"]) == {15}
    observed = rows[rows["status"] == "observed"].sort_values(["sensor_id", "ts_utc"])
    counted = delivered[delivered["vehicles"] != ""]
    per_hour = counted.sort_values(["detector", "interval_start"])["vehicles"].astype(float) * 4  # counts per 15 min
    assert observed["value"].tolist() == per_hour.tolist()
    assert (observed["value"] == 0).sum() == (counted["vehicles"] == "0").sum() > 0  # quiet nights are real zeros

    trained = pipeline.train(settings, "r1", dask_client, PARAMS)
    assert (trained["measure"], trained["unit"], trained["step"]) == ("volume_veh_h", "veh/h", "15min")
    board = delta.read_table(lake, lake.layout.table(Zone.CURATED, MODEL_LEADERBOARD.name))
    assert sorted(board["horizon_min"].unique()) == [15, 60] and set(board["unit"]) == {"veh/h"} and len(board) == 6

    scored = pipeline.score(settings, "r1", dask_client, PARAMS)
    forecast = delta.read_table(lake, lake.layout.table(Zone.CURATED, TRAFFIC_FORECAST.name))
    assert set(forecast["measure"]) == {"volume_veh_h"} and scored["forecast_rows"] == len(forecast) == DETECTORS * 96 * 2 * 3
    assert forecast["is_champion"].sum() == DETECTORS * 96 * 2  # three candidates, one champion per horizon
    alerts = delta.read_table(lake, lake.layout.table(Zone.CURATED, CONGESTION_ALERTS.name))
    assert len(alerts) == scored["alerts"] > 0  # the peaks run near capacity
    assert set(alerts["rule"]) == {"near_capacity"} and alerts["drop_pct"].isna().all()
    on_point = alerts["basis"] == "point"
    assert (alerts.loc[on_point, "predicted"] >= alerts.loc[on_point, "threshold"]).all()
    assert (alerts.loc[~on_point, "severity"] == "watch").all()  # only the interval's upper end reached it
    text = pipeline.results_text(settings, "volume_veh_h")
    assert "Model leaderboard of volume (veh/h)" in text and "masked metrics, veh/h" in text
