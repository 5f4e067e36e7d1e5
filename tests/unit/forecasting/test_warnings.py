"""Early warnings scored against the events the same rule finds in what was measured."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.forecasting.warnings import SKILL_COLUMNS, warning_skill

T = pd.Timestamp("2012-03-05 08:00", tz="UTC")


def test_precision_recall_and_lead_time_per_basis() -> None:
    warnings = pd.DataFrame(
        {
            "sensor_id": ["a", "a", "b", "c"],
            "target_ts_utc": [T, T + pd.Timedelta("5min"), T, T],
            "basis": ["point", "point", "interval", "point"],
            "lead_time_min": [30, 15, 60, 5],
        }
    )
    events = pd.DataFrame({"sensor_id": ["a", "b", "d"], "target_ts_utc": [T, T, T]})
    skill = warning_skill(warnings, events, ["sensor_id", "target_ts_utc"])
    assert skill.columns.tolist() == SKILL_COLUMNS
    point, both = skill.to_dict("records")
    assert (point["basis"], point["events"], point["warned"], point["hits"]) == ("point", 3, 3, 1)  # a at T only
    assert (point["precision"], point["recall"], point["median_lead_min"]) == (1 / 3, 1 / 3, 30.0)
    assert (both["warned"], both["hits"], both["precision"], both["recall"]) == (4, 2, 0.5, 2 / 3)  # the watch on b hit
    assert both["median_lead_min"] == 45.0


def test_no_warning_and_no_event_give_no_rates() -> None:
    empty = pd.DataFrame({"sensor_id": [], "target_ts_utc": [], "basis": [], "lead_time_min": []})
    skill = warning_skill(empty, empty[["sensor_id", "target_ts_utc"]], ["sensor_id", "target_ts_utc"])
    assert skill[["events", "warned", "hits"]].to_numpy().tolist() == [[0, 0, 0], [0, 0, 0]]
    assert np.isnan(skill["precision"]).all() and np.isnan(skill["recall"]).all() and np.isnan(skill["median_lead_min"]).all()
