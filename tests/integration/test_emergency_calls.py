"""Call volumes through their feeds (the SYNTHETIC hotline with planted surges, the bank's real call centre), their
surges, the forecasters trained, the hours ahead forecast and warned of, and the forecasts scored live."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.domains.emergency import call_forecasting, call_marts, synthetic
from pipelines.forecasting.events import event_score
from pipelines.lake.catalog.emergency import EMERGENCY_ANOMALIES, EMERGENCY_CALL_FORECAST, EMERGENCY_WARNINGS
from pipelines.lake.storage import Lake
from tests.conftest import DATA_DIR, require_data, through_feed

pytestmark = pytest.mark.slow


def test_surges_forecasts_and_warnings_of_two_lines(settings, dask_client, tmp_path) -> None:
    counts, truth = synthetic.call_volumes_with_surges(seed=7)
    hotline = through_feed(settings, dask_client, "hotline_calls", [synthetic.write_call_volume_file(counts, tmp_path)], "h")
    bank = through_feed(
        settings, dask_client, "call_centre_volumes", [require_data(DATA_DIR / "emergency" / "bank_calls.csv.gz")], "b"
    )
    assert (hotline.rows_clean, hotline.rows_quarantined) == (12 * 7 * 288, 0)
    assert (bank.rows_clean, bank.rows_quarantined) == (27_716, 0)

    result = call_marts.build(settings, "m1")
    assert result["lines"] == {
        "bank-call-centre": {"isolation_forest": 30, "robust": 31},
        "hotline-112": {"isolation_forest": 31, "robust": 42},
    }
    lake = Lake(settings)
    found = lake.read(EMERGENCY_ANOMALIES)
    planted = event_score(found[(found["line_id"] == "hotline-112") & (found["detector"] == "robust")], truth)
    assert (planted.events_found, planted.false_alarms) == (40, 0)
    # the bank's largest surge: the afternoon of 21 October 2003, local time (EDT)
    bank_surges = found[(found["line_id"] == "bank-call-centre") & (found["detector"] == "robust")]
    top = bank_surges.sort_values("peak_score").iloc[-1]
    assert top["start_utc"].tz_convert("America/New_York").strftime("%Y-%m-%d %H:%M") == "2003-10-21 15:55"

    hotline_params = call_forecasting.CallForecastParams(lines=("hotline-112",), capacity_per_hour={"hotline-112": 240.0})
    trained = call_forecasting.train(settings, "t1", dask_client, hotline_params, "2025-05-12T00:00Z")
    assert trained["hotline-112"]["hours"] == 69 * 24 + 17  # from 3 March 07:00 UTC (midnight MST) to the cut-off
    scored = call_forecasting.score(settings, "s1", dask_client, hotline_params, "2025-05-13T01:00Z")
    # the evening of 12 May (MST): 17:00 counted, 18:00 and 19:00 forecast over the 240 calls an hour staffed
    assert scored["hotline-112"]["origin_utc"] == "2025-05-13T00:00:00+00:00"
    assert scored["hotline-112"]["warnings"] == {
        "over_capacity 2025-05-13T01:00Z": "severe",
        "surge 2025-05-13T01:00Z": "elevated",
        "over_capacity 2025-05-13T02:00Z": "elevated",
    }
    # the bank: trained a week before its largest surge, scored at its height (16:00-17:00 EDT counted)
    bank_params = call_forecasting.CallForecastParams(lines=("bank-call-centre",))
    trained_bank = call_forecasting.train(settings, "t2", dask_client, bank_params, "2003-10-14T00:00Z")
    assert trained_bank["bank-call-centre"]["champions"] == dict.fromkeys(("1", "2", "3", "6"), "seasonal_level")
    assert trained_bank["bank-call-centre"]["gain_vs_best_baseline_pct"]["1"] == pytest.approx(38.43, abs=0.01)
    scored_bank = call_forecasting.score(settings, "s2", dask_client, bank_params, "2003-10-21T21:00Z")
    assert "6" not in scored_bank["bank-call-centre"]["next_hours_calls"]  # 6 hours ahead the centre is closed
    warned = lake.read(EMERGENCY_WARNINGS, filters=[("line_id", "=", "bank-call-centre")]).sort_values("target_ts_utc")
    assert warned[["lead_time_min", "reason", "basis", "severity"]].values.tolist() == [
        [0.0, "surge", "point", "elevated"],
        [60.0, "surge", "point", "elevated"],
        [120.0, "surge", "interval", "elevated"],
    ]
    assert warned["target_ts_utc"].dt.tz_convert("America/New_York").dt.hour.tolist() == [17, 18, 19]
    assert (warned["issued_utc"] == pd.Timestamp("2003-10-21T21:00Z")).all() and warned["capacity_calls"].isna().all()
    forecasts = lake.read(EMERGENCY_CALL_FORECAST)
    # hotline: 4 horizons x 3 models; bank: 3 horizons before closing, and no "same hour last week" (14 October is
    # missing from the file)
    assert len(forecasts) == 4 * 3 + 3 * 2

    live = call_forecasting.live_score(settings, "l1", hotline_params, "2025-05-13T12:00Z")
    assert live["lines"]["hotline-112"]["days"] == ["2025-05-12"]
    assert live["lines"]["hotline-112"]["scored_points"] == 12
