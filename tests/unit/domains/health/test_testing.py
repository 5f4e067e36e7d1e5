"""The published signals: no statistic from which a withheld count would follow."""

from __future__ import annotations

import pandas as pd

from pipelines.domains.health import signals, testing


def test_a_withheld_day_withholds_every_statistic_computed_from_it() -> None:
    positives = [20 + (day % 3) for day in range(40)]
    positives[15] = 3  # under k = 11: withheld
    tests = pd.DataFrame(
        [
            {"subject_key": f"d{day}p{i}", "pandemic_day": day, "result": "positive"}
            for day, n in enumerate(positives)
            for i in range(n)
        ]
    )
    out = testing.daily_signals(tests, testing.HealthParams(k=11)).set_index("pandemic_day")
    assert out["positives"].isna().tolist() == [day == 15 for day in range(40)]
    nulls = {column: [day for day in range(9, 40) if pd.isna(out.loc[day, column])] for column in ("c1", "c2", "c3", "cusum")}
    assert nulls == {
        "c1": list(range(15, 23)),  # C1 of day t reads t-7 .. t
        "c2": list(range(15, 25)),  # C2: t-9 .. t
        "c3": [9, 10, *range(15, 27)],  # C3: C2 of t-2 .. t (none before day 11)
        "cusum": list(range(15, 40)),  # the CUSUM carries every day since the first
    }
    exact = signals.ears(pd.Series(positives, dtype=float))
    assert out.loc[23, "c1"] == exact.loc[23, "c1"] and out.loc[14, "cusum"] == exact.loc[14, "cusum"]
    assert out["c1_signal"].tolist() == exact["c1_signal"].tolist()  # the flags, one bit each, are all published
