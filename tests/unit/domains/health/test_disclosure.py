"""Disclosure control by hand: a crafted table whose row total would give away its one small cell, the cells that
must go with it, and the attack on the totals that recovers the cell before and cannot after; k-anonymous extracts
and the attack that tries to single a person out."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.domains.health import disclosure

TABLE = pd.DataFrame({"A": [30, 25, 28], "B": [5, 20, 22], "C": [40, 35, 31]}, index=["d1", "d2", "d3"])


def test_a_small_cell_alone_in_its_row_would_be_its_total_minus_the_rest() -> None:
    only_primary = disclosure.suppress(TABLE)
    exposed = disclosure.Suppressed(only_primary.counts, only_primary.primary, only_primary.primary)
    assert disclosure.recoverable(exposed) == [("d1", "B")]  # 75 - 30 - 40 = 5


def test_complementary_suppression_leaves_no_cell_recoverable() -> None:
    result = disclosure.suppress(TABLE, k=11)
    hidden = sorted(map(tuple, result.withheld.stack()[lambda s: s].index.tolist()))
    # the smallest other cell of row d1 (A: 30), then the smallest of columns A and B below it (25 and 20)
    assert hidden == [("d1", "A"), ("d1", "B"), ("d2", "A"), ("d2", "B")]
    assert disclosure.recoverable(result) == []
    published = result.published()
    assert published.loc["d1", "B"] is pd.NA and published.loc["total", "total"] == 236
    assert published.loc["d3"].tolist() == [28, 22, 31, 81] and published.loc["total"].tolist() == [83, 47, 106, 236]


def test_zeros_are_shown_and_a_small_total_is_withheld() -> None:
    table = pd.DataFrame({"A": [0, 40], "B": [3, 30], "C": [4, 50]}, index=["d1", "d2"])
    result = disclosure.suppress(table, k=11)
    assert not result.withheld.loc["d1", "A"]  # 0: no one to disclose
    assert result.primary.loc["d1", ["B", "C", "total"]].tolist() == [True, True, True]  # 3, 4 and their total 7
    assert disclosure.recoverable(result) == []
    with pytest.raises(ValueError, match="k must be at least 2"):
        disclosure.suppress(table, k=1)


def test_an_extract_is_k_anonymous_and_the_attack_singles_no_one_out() -> None:
    people = pd.DataFrame(
        {
            "age_band": ["0-17"] * 12 + ["18-64"] * 11 + ["65+"] * 3,
            "gender": ["female"] * 12 + ["male"] * 11 + ["female"] * 3,
            "result": ["negative"] * 26,
        }
    )
    quasi = ["age_band", "gender"]
    assert len(disclosure.singled_out(people, quasi, k=11)) == 3  # the three women over 65
    extract = disclosure.k_anonymous(people, quasi, k=11)
    assert len(extract) == 23 and disclosure.singled_out(extract, quasi, k=11).empty
    assert len(disclosure.k_anonymous(people, quasi, k=12)) == 12
