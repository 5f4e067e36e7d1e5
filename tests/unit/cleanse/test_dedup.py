"""Duplicates by policy: every dropped row counted with why; conflicts rejected unless the feed says otherwise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.cleanse.dedup import deduplicate, in_order

# three victims of incident A (the victim's age is delivered but not mapped), incident B twice with other values
ROWS = pd.DataFrame(
    {
        "incident_id": ["A", "A", "A", "B", "B", "C"],
        "offense": ["assault", "assault", "assault", "theft", "robbery", "arson"],
        "reported": [1, 1, 1, 2, 5, 3],
        "src_victim_age": ["31", "45", "31", "", "", "60"],
        "line": [2, 3, 4, 5, 6, 7],
    }
)
KEY, PAYLOAD, SOURCES = ["incident_id"], ["offense", "reported"], ["src_victim_age"]


def test_conflict_rejects_every_version_and_names_what_only_unmapped_columns_told_apart() -> None:
    dedup = deduplicate(ROWS, KEY, PAYLOAD, SOURCES)
    assert dedup.kept["line"].tolist() == [2, 7]
    assert dedup.conflicts["line"].tolist() == [5, 6]
    assert dedup.removed == {"exact copy": 1, "differs only in unmapped columns: src_victim_age": 1}
    assert dedup.removed_duplicates == 2


@pytest.mark.parametrize(
    "policy, latest_by, kept, why",
    [
        ("keep_first", None, [2, 5, 7], {"superseded by an earlier row (keep_first)": 1}),
        ("keep_latest", "reported", [2, 6, 7], {"superseded by a later reported (keep_latest)": 1}),
    ],
)
def test_keep_first_or_latest(policy, latest_by, kept, why) -> None:
    dedup = deduplicate(ROWS, KEY, PAYLOAD, SOURCES, policy, latest_by)
    assert dedup.kept["line"].tolist() == kept and dedup.conflicts.empty
    assert dedup.removed == {"exact copy": 1, "differs only in unmapped columns: src_victim_age": 1, **why}
    assert len(dedup.kept) + dedup.removed_duplicates == len(ROWS)


def test_merge_makes_one_row_per_key_with_the_number_of_rows_it_stands_for() -> None:
    rows = ROWS.assign(victims=0)
    dedup = deduplicate(rows, KEY, PAYLOAD, SOURCES, "merge", count_into="victims")
    assert dedup.kept[["incident_id", "victims", "line"]].values.tolist() == [["A", 3, 2], ["B", 2, 5], ["C", 1, 7]]
    assert dedup.removed == {
        "exact copy": 1,
        "differs only in unmapped columns: src_victim_age": 1,
        "merged into one row per key (merge)": 1,
    }


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["b", "a", "c", None]),
            st.integers(-3, 3) | st.none(),
            st.sampled_from([1.5, -2.0, 0.0, float("nan")]),
        ),
        max_size=30,
    ),
    st.sampled_from([["sensor", "at"], ["v", "at", "line"], ["line"], ["at", "sensor", "v"]]),
)
def test_in_order_gives_the_rows_a_stable_sort_gives(rows: list[tuple[str | None, int | None, float]], by: list[str]) -> None:
    frame = pd.DataFrame(
        {
            "sensor": pd.Series([r[0] for r in rows], dtype="str"),
            "at": pd.to_datetime(pd.Series([r[1] for r in rows], dtype="float64"), unit="h", utc=True),
            "v": [r[2] for r in rows],
            "file": pd.Series(["f.csv"] * len(rows), dtype="str"),  # one value: carried over, not reordered
            "line": np.arange(len(rows)) * 7 % 11,
        }
    )
    expected = frame.sort_values(by, kind="stable")
    pd.testing.assert_frame_equal(in_order(frame, by), expected)


def test_in_order_leaves_ordered_rows_untouched() -> None:
    frame = pd.DataFrame({"k": ["a", "a", "b"], "line": [1, 2, 3]})
    assert in_order(frame, ["k", "line"]) is frame


def test_rows_with_a_unique_key_are_never_compared_as_copies() -> None:
    rows = pd.DataFrame({"id": ["A", "B", "C", "C"], "v": [1, 1, 2, 2], "line": [1, 2, 3, 4]})
    dedup = deduplicate(rows, ["id"], ["v"])
    assert dedup.kept["line"].tolist() == [1, 2, 3]
    assert dedup.removed == {"exact copy": 1}
