"""Fusion by hand: a pair just inside and just outside the window and the distance, types that do not fit, a post
that fits any type, a chain that may not stretch an incident, a report timed only to the day."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.emergency import fusion
from pipelines.domains.emergency.fusion import EARTH_RADIUS_M

T0 = pd.Timestamp("2024-06-03 18:00", tz="UTC")
LAT, LON = 33.42, -111.94
TYPES = fusion.incident_types()
PARAMS = fusion.FusionParams(window_minutes=20, max_distance_m=500)


def north(metres: float) -> float:
    return LAT + float(np.degrees(metres / EARTH_RADIUS_M))


def report(
    report_id: str, minutes: float, lat: float = LAT, channel: str = "call", category: str = "FIRE", precision: str = "second"
) -> dict:
    return {
        "report_id": report_id,
        "ts_utc": T0 + pd.Timedelta(minutes=minutes),
        "ts_precision": precision,
        "channel": channel,
        "category": category,
        "severity": 2,
        "latitude": lat,
        "longitude": LON,
    }


def incidents_of(*reports: dict) -> list[list[str]]:
    _, member = fusion.fuse(pd.DataFrame(list(reports)), TYPES, PARAMS)
    return sorted(sorted(ids) for ids in member.groupby(member).groups.values())


def test_just_inside_the_window_and_distance_is_one_incident_just_outside_is_two() -> None:
    assert incidents_of(report("a", 0), report("b", 19.99, north(499))) == [["a", "b"]]
    assert incidents_of(report("a", 0), report("b", 20.02, north(100))) == [["a"], ["b"]]  # 20 min 1 s apart
    assert incidents_of(report("a", 0), report("b", 1, north(501))) == [["a"], ["b"]]  # 501 m apart


def test_types_must_fit_and_a_post_fits_any() -> None:
    assert incidents_of(report("fire", 0), report("ems", 1, category="MEDICAL")) == [["ems"], ["fire"]]
    assert incidents_of(report("smoke", 0, channel="sensor", category="smoke_alarm"), report("call", 2)) == [["call", "smoke"]]
    posted = incidents_of(report("post", 0, channel="social", category="post"), report("ems", 3, category="MEDICAL"))
    assert posted == [["ems", "post"]]
    incidents, _ = fusion.fuse(
        pd.DataFrame([report("post", 0, channel="social", category="post"), report("ems", 3, category="MEDICAL")]), TYPES, PARAMS
    )
    assert incidents[["incident_id", "incident_type", "reports", "channels", "report_ids"]].values.tolist() == [
        ["INC-post", "medical", 2, "call,social", "post,ems"]
    ]


def test_a_chain_of_near_reports_does_not_stretch_one_incident_and_a_day_is_never_fused() -> None:
    chain = incidents_of(report("a", 0), report("b", 15, north(300)), report("c", 30, north(600)))
    assert chain == [["a", "b"], ["c"]]  # c is near b, but 30 minutes after the incident's first report
    dated = incidents_of(report("a", 0), report("day", 0, precision="day"))
    assert dated == [["a"], ["day"]]


def test_pairwise_precision_and_recall_by_hand() -> None:
    predicted = pd.Series({"a": "X", "b": "X", "c": "X", "d": "Y"})
    truth = pd.Series({"a": "1", "b": "1", "c": "2", "d": "2"})
    # predicted pairs ab, ac, bc; true pairs ab, cd: one hit
    assert fusion.pairwise_scores(predicted, truth) == (pytest.approx(1 / 3), 0.5)
    with pytest.raises(ValueError, match="must be positive"):
        fusion.FusionParams(window_minutes=0)
