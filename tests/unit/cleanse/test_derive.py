"""Derived columns: each operation on a delivered row, vectorized, nulls kept null."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.cleanse.derive import DeriveError, Rule, add_derived, expression_names, file_inputs

ROWS = pd.DataFrame(
    {
        "case": ["2024-001", "2024-002", None],
        "victim": ["1", "2", "1"],
        "beat": ["Beat 0412", "beat 1113", "unknown"],
        "volume": ["120", "90", "x"],
        "lanes": ["3", "0", "2"],
        "sex": ["M", "F", "U"],
        "when": ["2024-03-05 17:45", "2024-03-06 08:10", "soon"],
        "sensor": ["s1", "s1", "s2"],
        "t": ["2", "1", "1"],
    }
)


def test_each_operation() -> None:
    rules = {
        "case_victim": Rule("concat", ("case", "victim"), {"sep": "/"}),
        "district": Rule("extract", ("beat",), {"pattern": r"(?i)beat (?P<value>\d{2})"}),
        "beat_text": Rule("replace", ("beat",), {"pattern": r"\s+", "replacement": "_"}),
        "per_lane": Rule("expression", ("volume", "lanes"), {"expression": "volume * 12 / lanes"}),
        "sex_word": Rule("map", ("sex",), {"values": {"M": "male", "F": "female"}, "default": "null"}),
        "sex_kept": Rule("map", ("sex",), {"values": {"M": "male"}, "default": "keep"}),
        "hour": Rule("date_part", ("when",), {"part": "hour", "format": "%Y-%m-%d %H:%M"}),
        "weekday": Rule("date_part", ("when",), {"part": "weekday", "format": "%Y-%m-%d %H:%M"}),
        "previous_volume": Rule("shift", ("volume", "sensor", "t"), {"within": ["sensor"], "order_by": "t", "periods": 1}),
    }
    derived = add_derived(ROWS, rules)
    assert derived["case_victim"].tolist() == ["2024-001/1", "2024-002/2", None]
    assert derived["district"].tolist() == ["04", "11", None]
    assert derived["beat_text"].tolist() == ["Beat_0412", "beat_1113", "unknown"]
    assert derived["per_lane"].fillna(-1).tolist() == [480.0, -1, -1]  # 90 / 0 lanes and "x" give no number
    assert derived["sex_word"].tolist() == ["male", "female", None]
    assert derived["sex_kept"].tolist() == ["male", "F", "U"]
    assert derived["hour"].tolist() == [17, 8, None] and derived["weekday"].tolist() == [1, 2, None]
    assert derived["previous_volume"].tolist() == ["90", None, None]  # s1 at t=2 follows s1 at t=1
    assert list(ROWS.columns) == ["case", "victim", "beat", "volume", "lanes", "sex", "when", "sensor", "t"]  # input untouched


def test_expressions_are_arithmetic_only() -> None:
    assert expression_names("(volume + 2 * trucks) / lanes ** 2") == ["volume", "trucks", "lanes"]
    with pytest.raises(DeriveError, match=r"only numbers, column names and \+ - \* / // % \*\* are allowed"):
        expression_names("__import__('os').system('id')")
    with pytest.raises(DeriveError, match="is not valid"):
        expression_names("volume *")


def test_derived_names_stand_for_the_columns_they_read() -> None:
    rules = {"a": Rule("concat", ("x", "y"), {}), "b": Rule("expression", ("a", "z"), {"expression": "a + z"})}
    assert file_inputs(rules, ["b", "w"]) == ["x", "y", "z", "w"]
