"""Anomalous periods in metered flow: the real pipe's four described segments, planted events, the event score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.energy import anomalies, synthetic
from tests.conftest import DATA_DIR, require_data

PARAMS = anomalies.AnomalyParams()


def real_flow() -> pd.Series:
    frame = pd.read_csv(require_data(DATA_DIR / "energy" / "water_flow.csv"))
    return pd.Series(frame["Water flow [l/s]"].to_numpy(), index=pd.to_datetime(frame["Time"], utc=True))


def test_the_real_pipe_has_the_four_segments_its_publisher_describes_and_nothing_else() -> None:
    found = anomalies.robust(real_flow(), PARAMS)
    # three low periods (losses or maintenance), and the small pumping peak after the first two
    assert found[["start_utc", "end_utc", "kind"]].astype(str).values.tolist() == [
        ["2022-03-24 07:00:00+00:00", "2022-03-25 01:00:00+00:00", "low"],
        ["2022-03-28 14:00:00+00:00", "2022-03-29 20:00:00+00:00", "low"],
        ["2022-04-03 04:00:00+00:00", "2022-04-03 05:00:00+00:00", "high"],
        ["2022-04-27 13:00:00+00:00", "2022-04-28 07:00:00+00:00", "low"],
    ]
    assert found["lowest"].round(2).tolist()[:2] == [24.26, 24.25] and found.loc[2, "highest"] == 109.68
    learned = anomalies.isolation_forest(real_flow(), PARAMS)
    assert anomalies.event_score(learned, found).recall == 1.0  # the forest finds all four too (in five pieces)


def test_periods_merge_across_short_gaps_and_drop_small_blips() -> None:
    index = pd.date_range("2024-01-01", periods=24 * 14, freq="1h", tz="UTC")
    values = np.full(len(index), 100.0) + np.tile([0.0, 0.5, -0.5, 0.2], len(index) // 4)
    values[200:203] = 40.0  # three low hours
    values[205:207] = 42.0  # two more, two hours later: the same period
    values[300] = 103.0  # a blip above the threshold, below the peak of note
    found = anomalies.robust(pd.Series(values, index=index), PARAMS)
    assert found[["start_utc", "hours", "kind"]].values.tolist() == [[index[200], 7, "low"]]
    assert (found["lowest"].iloc[0], found["highest"].iloc[0]) == (40.0, 100.2)  # the bridged hours 203-204: 100.2, 100


def test_event_level_precision_and_recall() -> None:
    t = pd.Timestamp("2024-01-01", tz="UTC")
    h = pd.Timedelta(hours=1)
    events = pd.DataFrame({"start_utc": [t, t + 10 * h, t + 50 * h], "end_utc": [t + 3 * h, t + 12 * h, t + 51 * h]})
    found = pd.DataFrame({"start_utc": [t + 2 * h, t + 20 * h, t + 11 * h], "end_utc": [t + 5 * h, t + 21 * h, t + 30 * h]})
    score = anomalies.event_score(found, events)
    assert (score.events, score.found, score.hits, score.events_found) == (3, 3, 2, 2)
    assert score.precision == pytest.approx(2 / 3) and score.recall == pytest.approx(2 / 3)


def test_the_planted_events_are_where_the_generator_says() -> None:
    series, events = synthetic.flow_with_anomalies(seed=7)
    assert len(events) == 4 and events["kind"].tolist().count("drop") == 2
    inside = series[(series.index >= events["start_utc"].iloc[0]) & (series.index < events["end_utc"].iloc[0])]
    before = series[series.index < events["start_utc"].iloc[0]].median()
    kind = events["kind"].iloc[0]
    assert (inside.median() < 0.6 * before) if kind == "drop" else (inside.median() != before)
    with pytest.raises(ValueError, match="unknown detector 'prophet'"):
        anomalies.detect(series, "prophet", PARAMS)
