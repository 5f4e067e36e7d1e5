"""Testing statistics that protect the people in them: tests, positives and positivity by day and by age band, clinic
or payor, every cell of at least k people or withheld (with complementary suppression); outbreak signals on the daily
positives. Pure.

A table per dimension: days by the dimension's categories, with the day's total (category `all`) and each
category's total over all days (`pandemic_day` null). Its cells count people (distinct pseudonyms), and the tests and
positives of a cell are published only where the people who were tested, and who tested positive, are at least k or
none; the pattern of withheld cells comes from `disclosure.suppress`, so no withheld cell follows from the published
totals. Positivity is positives over tests where both are published.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.domains.health import disclosure, signals

AGE_BANDS = ((0, "0-4"), (5, "5-17"), (18, "18-44"), (45, "45-64"), (65, "65+"))
DIMENSIONS = ("age_band", "clinic", "payor_group")
ALL = "all"
# the days of counts each statistic of day t is computed from, t included (0: every day so far, the CUSUM's chain)
STATISTIC_WINDOWS = {"c1": 8, "c2": 10, "c3": 12, "cusum": 0}
NOT_RECORDED = "not recorded"
DAILY_COLUMNS = [
    "dimension",
    "pandemic_day",
    "category",
    "people_tested",
    "tests",
    "positives",
    "positivity",
    "tests_withheld",
    "positives_withheld",
    "k",
]


@dataclass(frozen=True)
class HealthParams:
    """The small-cell threshold and the signals' parameters."""

    k: int = 11
    signal_params: signals.SignalParams = field(default_factory=signals.SignalParams)

    def __post_init__(self) -> None:
        if self.k < 2:
            raise ValueError(f"k must be at least 2, not {self.k}")


def age_band(age_years: pd.Series) -> pd.Series:
    """0-4, 5-17, 18-44, 45-64, 65+ (null: not recorded)."""
    edges = [low for low, _ in AGE_BANDS] + [np.inf]
    bands = pd.cut(age_years, bins=edges, right=False, labels=[name for _, name in AGE_BANDS])
    return bands.astype(object).where(bands.notna(), NOT_RECORDED)


def with_dimensions(tests: pd.DataFrame) -> pd.DataFrame:
    """The tests with their age band and the categories' nulls named."""
    out = tests.assign(age_band=age_band(tests["age_years"]))
    for column in DIMENSIONS:
        out[column] = out[column].astype(object).where(out[column].notna(), NOT_RECORDED)
    return out


def _table(tests: pd.DataFrame, dimension: str, days: list[int], value: pd.Series | None = None) -> pd.DataFrame:
    chosen = tests if value is None else tests[value]
    people = chosen.groupby(["pandemic_day", dimension])["subject_key"].nunique().unstack(fill_value=0)
    categories = sorted(tests[dimension].unique())
    return people.reindex(index=days, columns=categories, fill_value=0)


def daily(tests: pd.DataFrame, params: HealthParams) -> pd.DataFrame:
    """Every dimension's long table (DAILY_COLUMNS), withheld cells null."""
    tests = with_dimensions(tests)
    days = list(range(int(tests["pandemic_day"].min()), int(tests["pandemic_day"].max()) + 1))
    positive = tests["result"] == "positive"
    frames = []
    for dimension in DIMENSIONS:
        tested = disclosure.suppress(_table(tests, dimension, days), params.k)
        positives = disclosure.suppress(_table(tests, dimension, days, positive), params.k)
        counts = tests.groupby(["pandemic_day", dimension]).size().unstack(fill_value=0)
        hits = tests[positive].groupby(["pandemic_day", dimension]).size().unstack(fill_value=0)
        test_counts = disclosure.with_totals(counts.reindex(index=days, columns=tested.counts.columns[:-1], fill_value=0))
        hit_counts = disclosure.with_totals(hits.reindex(index=days, columns=tested.counts.columns[:-1], fill_value=0))
        long = pd.DataFrame(
            {
                "people_tested": tested.published().stack(future_stack=True),
                "tests": test_counts.astype("Int64").mask(tested.withheld).stack(future_stack=True),
                "positives": hit_counts.astype("Int64").mask(positives.withheld).stack(future_stack=True),
                "tests_withheld": tested.withheld.stack(future_stack=True),
                "positives_withheld": positives.withheld.stack(future_stack=True),
            }
        )
        long.index.names = ["day", "category"]
        long = long.reset_index()
        long["pandemic_day"] = pd.array([None if d == disclosure.TOTAL else int(d) for d in long["day"]], dtype="Int32")
        long["category"] = long["category"].replace({disclosure.TOTAL: ALL})
        frames.append(long.drop(columns="day").assign(dimension=dimension))
    out = pd.concat(frames, ignore_index=True)
    tested, hit = out["tests"].astype("Float64"), out["positives"].astype("Float64")
    out["positivity"] = (hit / tested.where(tested > 0)).round(4)
    return out.assign(k=params.k)[DAILY_COLUMNS]


def daily_signals(tests: pd.DataFrame, params: HealthParams) -> pd.DataFrame:
    """EARS C1, C2, C3 and CUSUM on the daily positives; a day's count is published only at k people or more."""
    days = range(int(tests["pandemic_day"].min()), int(tests["pandemic_day"].max()) + 1)
    positive = tests[tests["result"] == "positive"]
    counts = positive.groupby("pandemic_day").size().reindex(days, fill_value=0).astype(float)
    people = positive.groupby("pandemic_day")["subject_key"].nunique().reindex(days, fill_value=0)
    out = signals.ears(counts, params.signal_params).rename_axis("pandemic_day").reset_index()
    shown = (people.to_numpy() >= params.k) | (people.to_numpy() == 0)
    out["positives"] = pd.array(np.where(shown, out["count"], np.nan), dtype="Float64").astype("Int64")
    # a statistic is a formula of the counts in its window: published only where each of them is, else a withheld
    # count would follow from it and its neighbours (the flags, one bit each, stay)
    published = pd.Series(shown.astype(float))
    for column, width in STATISTIC_WINDOWS.items():
        window = published.rolling(width, min_periods=1).min() if width else published.cummin()
        out[column] = out[column].where(window.to_numpy() == 1.0)
    s = params.signal_params
    out["params"] = (
        f"C1/C2 > {s.c1_threshold:g} sd, C3 > {s.c3_threshold:g}, CUSUM k={s.cusum_k:g} h={s.cusum_h:g}, sd >= {s.min_sd:g}"
    )
    return out.drop(columns="count")
