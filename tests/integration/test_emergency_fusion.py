"""SYNTHETIC calls, sensor alarms and social posts with known truth, each through its own feed (three clocks, nested
JSON), and Tempe's real overdose calls, fused into `emergency_incidents`."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.domains.emergency import fusion, incidents, synthetic
from pipelines.lake.catalog.emergency import EMERGENCY_COVERAGE, EMERGENCY_INCIDENTS, EMERGENCY_RESOURCES
from pipelines.lake.storage import Lake
from tests.conftest import DATA_DIR, require_data, through_feed

pytestmark = pytest.mark.slow


def test_reports_of_every_channel_become_the_true_incidents(settings, dask_client, tmp_path) -> None:
    reports = synthetic.reports_with_truth(incidents=120, days=4, false_alarms=10, seed=1)
    files = synthetic.write_report_files(reports, tmp_path)
    for feed, name in (
        ("dispatch_calls", "dispatch_calls"),
        ("sensor_alarms", "sensor_alarms"),
        ("social_posts", "social_posts"),
    ):
        assert through_feed(settings, dask_client, feed, [files[name]], run_id=name).rows_quarantined == 0
    tempe = through_feed(
        settings,
        dask_client,
        "tempe_opioid_calls",
        [require_data(DATA_DIR / "emergency" / "tempe_opioid_calls.csv.gz")],
        run_id="tempe",
    )
    # the City's randomised positions put 6 calls just outside Tempe's box (and one in Mesa): quarantined, said why
    assert tempe.quarantined_by_reason == {"OUT_OF_CITY": 6}

    as_of = reports["ts_utc"].max()
    fleet = synthetic.fleet_positions(as_of - pd.Timedelta(minutes=5), seed=3)
    assert (
        through_feed(
            settings, dask_client, "unit_positions", [synthetic.write_fleet_file(fleet, tmp_path)], run_id="fleet"
        ).rows_quarantined
        == 0
    )

    result = incidents.build(settings, "e1", as_of=as_of.isoformat())
    # 22 identical rows are kept as calls of their own (the same day and randomised spot: possibly two patients)
    assert result["reports"] == len(reports) + 3379 - 6
    assert result["categories_without_type"] == []
    fused = Lake(settings).read(EMERGENCY_INCIDENTS)
    member = fused.assign(report_id=fused["report_ids"].str.split(",")).explode("report_id").set_index("report_id")["incident_id"]
    synthetic_ids = member[~member.index.str.fullmatch(r"[0-9a-f]{20}")]
    precision, recall = fusion.pairwise_scores(synthetic_ids, reports.set_index("report_id")["incident"])
    assert precision >= 0.95 and recall >= 0.95
    # Tempe's calls are timed to the day: each stays an incident of its own
    days = fused[fused["timed_to"] == "day"]
    assert len(days) == 3379 - 6 and (days["reports"] == 1).all()
    # the units: for each open incident the nearest available ones of the kind it needs, at most three
    lake = Lake(settings)
    nearest = lake.read(EMERGENCY_RESOURCES)
    open_now = fused[(fused["timed_to"] != "day") & fused["last_report_utc"].between(as_of - pd.Timedelta(hours=2), as_of)]
    assert result["resources"]["open_incidents"] == len(open_now) > 0
    assert set(nearest["incident_id"]) == set(open_now["incident_id"])
    available = fleet[fleet["status"] == "available"].groupby("kind").size()
    per = nearest.groupby(["incident_id", "unit_kind"]).size()
    assert all(n == min(3, available[kind]) for (_, kind), n in per.items())
    assert nearest.groupby(["incident_id", "unit_kind"])["distance_m"].is_monotonic_increasing.all()
    assert sorted(lake.read(EMERGENCY_COVERAGE)["unit_kind"]) == ["ambulance", "fire", "police"]
    one = reports[reports["channel"] == "sensor"].iloc[0]
    holding = fused[fused["report_ids"].str.contains(one["report_id"])]
    assert len(holding) == 1 and "sensor" in holding["channels"].iloc[0]
