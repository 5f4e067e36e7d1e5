"""Delivered text in Arrow (pipelines.cleanse.text): the same values as the pandas reading it replaces."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.cleanse.text import by_distinct, contains, numbers, stripped

ODD = ["+5", "5.", ".5", "-0", "1e5", "1E-2", "007", "inf", "-Infinity", "nan", "1_000", "0x10", "1,5", "--1", "e5", "."]


def _same_numbers(read: pd.Series, expected: pd.Series) -> bool:
    return all((math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(read.tolist(), expected.tolist(), strict=True))


def test_stripped_arrow_text_marks_nulls_and_keeps_the_rest() -> None:
    text = stripped(pd.Series([" 12 ", "NA", "", None, "\tx\u3000", "na"], dtype="str"), {"NA", ""})
    assert text.dtype == "str"
    assert text.isna().tolist() == [False, True, True, True, False, False]
    assert text.dropna().tolist() == ["12", "x", "na"]


def test_stripped_object_text_gives_the_same_values_with_none() -> None:
    text = stripped(pd.Series([" 12 ", "NA", None, float("nan"), 7], dtype=object), {"NA"})
    assert text.dtype == object
    assert text.tolist() == ["12", None, None, None, 7]


def test_odd_numbers_read_as_pandas_reads_them() -> None:
    values = pd.Series([*ODD, None], dtype="str")
    read = numbers(values)
    assert read.dtype == "float64"
    assert _same_numbers(read, pd.to_numeric(values.astype(object), errors="coerce").astype("float64"))
    assert read.tolist()[:7] == [5.0, 5.0, 0.5, -0.0, 100000.0, 0.01, 7.0]
    assert read.iloc[7] == math.inf and read.iloc[8] == -math.inf
    assert read.iloc[9:].isna().all()  # "nan" is not a number a source delivers: quarantined, as before


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=40), st.integers(0, 2))
def test_any_float_written_as_text_reads_back_exactly(values: list[float], style: int) -> None:
    written = [repr(v) if style == 0 else f"{v:.17g}" if style == 1 else f"{v:e}" for v in values]
    read = numbers(pd.Series(written, dtype="str"))
    assert _same_numbers(read, pd.Series([float(w) for w in written]))
    assert np.array_equal(read.to_numpy(), pd.to_numeric(pd.Series(written, dtype=object)).to_numpy())


def test_by_distinct_reads_each_value_once_and_keeps_rows_and_gaps() -> None:
    seen: list[int] = []

    def read(values: pd.Series) -> pd.Series:
        seen.append(len(values))
        return pd.to_datetime(values, format="%Y-%m-%d %H:%M", errors="coerce")

    text = pd.Series(["2024-04-01 10:00", None, "2024-02-30 10:00", "2024-04-01 10:00", "x"], dtype="str")
    read_once = by_distinct(text, read)
    assert seen == [3, 1]  # three distinct values, then the reading of a missing one
    pd.testing.assert_series_equal(read_once, pd.to_datetime(text, format="%Y-%m-%d %H:%M", errors="coerce"))
    assert by_distinct(pd.Series([], dtype="str"), read).tolist() == []


def test_contains_reads_arrow_text_and_leaves_object_columns_to_python() -> None:
    text = pd.Series(["2024-04-01T10:00Z", "10:00", None, "a\x00b"], dtype="str")
    assert contains(text, r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).tolist() == [True, False, False, False]
    assert contains(text, "\x00", regex=False).tolist() == [False, False, False, True]
    assert contains(pd.Series(["x"], dtype=object), "x", regex=False) is None
