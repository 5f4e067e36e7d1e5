"""Surges by hand: a flat line of 100 calls a slot has a baseline of 100 and a scale of sqrt(100) = 10 (no spread in
its history: the Poisson floor), so 150 calls score 5 and 130 score 3; the learned detector and the planted surges
of the SYNTHETIC hotline."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.domains.emergency import surges, synthetic
from pipelines.forecasting.events import event_score

ZONE = "America/Phoenix"
MONDAY = pd.Timestamp("2025-03-31 10:00", tz=ZONE)  # the fifth Monday of the flat history


def flat_line(extra: dict[pd.Timestamp, float]) -> pd.DataFrame:
    """Five weeks of 100 calls every 5 minutes from Monday 2025-03-03 (local), with some slots changed."""
    local = pd.date_range("2025-03-03", periods=5 * 7 * 288, freq="5min", tz=ZONE)
    calls = pd.Series(100.0, index=local)
    for when, value in extra.items():
        calls[when] = value
    return pd.DataFrame({"line_id": "L1", "ts_utc": local.tz_convert("UTC"), "calls": calls.to_numpy(), "timezone": ZONE})


ONE_SLOT = surges.SurgeParams(window_slots=1, threshold=4.0, min_slots=2, merge_gap=0)


def robust(counts: pd.DataFrame, params: surges.SurgeParams = ONE_SLOT) -> pd.DataFrame:
    found = surges.detect(counts, params)
    return found[found["detector"] == "robust"].reset_index(drop=True)


def test_a_surge_one_score_point_above_the_threshold_is_found() -> None:
    slots = [MONDAY, MONDAY + pd.Timedelta(minutes=5)]
    found = robust(flat_line(dict.fromkeys(slots, 150.0)))
    assert len(found) == 1
    surge = found.iloc[0]
    assert (surge["start_utc"], surge["end_utc"]) == (
        MONDAY.tz_convert("UTC"),
        (MONDAY + pd.Timedelta(minutes=10)).tz_convert("UTC"),
    )
    assert (surge["slots"], surge["calls"], surge["baseline_calls"], surge["excess_calls"]) == (2, 300.0, 200.0, 100.0)
    assert (surge["peak_calls"], surge["peak_score"]) == (150.0, 5.0)


def test_one_point_below_the_threshold_or_a_single_slot_is_not_a_surge() -> None:
    below = [MONDAY, MONDAY + pd.Timedelta(minutes=5)]
    assert robust(flat_line(dict.fromkeys(below, 130.0))).empty  # score 3
    assert robust(flat_line({MONDAY: 150.0})).empty  # score 5, but one slot: min_slots 2


def test_the_score_sums_the_window_of_slots() -> None:
    line = flat_line(dict.fromkeys([MONDAY + pd.Timedelta(minutes=5 * i) for i in range(3)], 150.0))
    frame = surges.scored(line.set_index("ts_utc")["calls"], ZONE, surges.SurgeParams(window_slots=3))
    at = frame.loc[(MONDAY + pd.Timedelta(minutes=10)).tz_convert("UTC")]
    # the window of the third slot: 450 calls against 300 expected, scale sqrt(300)
    assert (at["window_calls"], at["window_baseline"]) == (450.0, 300.0)
    assert at["score"] == pytest.approx(150 / 300**0.5)


def test_a_quieter_slot_is_not_a_surge_and_the_baseline_needs_two_weeks() -> None:
    assert robust(flat_line(dict.fromkeys([MONDAY, MONDAY + pd.Timedelta(minutes=5)], 20.0))).empty
    frame = surges.scored(flat_line({}).set_index("ts_utc")["calls"], ZONE, ONE_SLOT)
    assert frame["baseline"].iloc[: 7 * 288].isna().all()  # the first week has no earlier same weekday and time
    assert frame["baseline"].iloc[14 * 288 :].eq(100.0).all()


def test_the_params_come_from_the_dag_and_a_typo_is_an_error() -> None:
    assert surges.SurgeParams.from_dict({"threshold": "3.5", "min_slots": 3}) == surges.SurgeParams(threshold=3.5, min_slots=3)
    with pytest.raises(ValueError, match=r"unknown surge parameters \['treshold'\]"):
        surges.SurgeParams.from_dict({"treshold": 3})
    with pytest.raises(ValueError, match="need weeks >= 2"):
        surges.SurgeParams(weeks=1)


def test_the_planted_surges_of_the_synthetic_hotline_are_found() -> None:
    counts, truth = synthetic.call_volumes_with_surges(seed=7)
    counts = counts.assign(
        ts_utc=counts["ts_local"].dt.tz_localize(synthetic.LOCAL).dt.tz_convert("UTC"), timezone=synthetic.LOCAL
    )
    found = surges.detect(counts[["line_id", "ts_utc", "calls", "timezone"]], surges.SurgeParams())
    score = event_score(found[found["detector"] == "robust"], truth)
    assert (score.events, score.events_found, score.false_alarms) == (40, 40, 0)
    learned = event_score(found[found["detector"] == "isolation_forest"], truth)
    assert learned.false_alarms == 0 and learned.events_found == 26  # it misses the smaller surges at 1 % of slots
