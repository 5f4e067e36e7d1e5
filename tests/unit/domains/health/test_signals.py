"""EARS C1, C2, C3 and CUSUM by hand on a flat series of 2 cases a day (sd floored at 0.5) and a planted outbreak."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.health import signals


def test_one_day_of_double_the_cases_after_a_flat_fortnight() -> None:
    counts = pd.Series([2.0] * 12 + [4.0, 4.0])
    out = signals.ears(counts)
    day12, day13 = out.iloc[12], out.iloc[13]
    assert (day12["c1"], day12["c2"], day12["c3"], day12["cusum"]) == (4.0, 4.0, 3.0, 3.5)
    assert (day12["c1_signal"], day12["c2_signal"], day12["c3_signal"], day12["cusum_signal"]) == (True, True, True, False)
    # the next day the first 4 is in C1's baseline (mean 16/7, sd 0.756) but not yet in C2's (a 2-day guard)
    assert day13["c1"] == pytest.approx((4 - 16 / 7) / np.std([2] * 6 + [4], ddof=1))
    assert not day13["c1_signal"] and day13["c2"] == 4.0 and day13["cusum"] == 7.0 and day13["cusum_signal"]
    assert out["c1"].iloc[:7].isna().all() and out["c2"].iloc[:9].isna().all()


def test_a_planted_outbreak_is_signalled_and_the_quiet_weeks_are_not() -> None:
    rng = np.random.default_rng(3)
    counts = rng.poisson(8, 60).astype(float)
    counts[40:47] += [4, 8, 12, 16, 16, 12, 8]  # a week-long outbreak
    out = signals.ears(pd.Series(counts))
    assert out["c2_signal"].iloc[40:47].any() and out["cusum_signal"].iloc[40:47].any()
    first = int(np.flatnonzero(out["cusum_signal"].to_numpy())[0])
    assert 40 <= first <= 43
    assert not out["c3_signal"].iloc[9:40].any()
