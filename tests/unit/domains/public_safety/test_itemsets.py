"""The itemset engine is exact: the same itemsets and counts as brute force and as mlxtend, whatever the chunking."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.public_safety.itemsets import Baskets, frequent_itemsets, min_count_for, next_candidates


def random_baskets(n: int, items: int, seed: int) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    baskets = [sorted(rng.choice(items, size=rng.integers(0, 7), replace=False).tolist()) for _ in range(n)]
    for b in baskets[: n // 3]:  # a correlated pair and triple so that deeper levels exist
        b.extend(x for x in (1, 2, 3) if x not in b)
    return baskets


def brute_force(baskets: list[list[int]], min_count: int) -> dict[tuple[int, ...], int]:
    counts: Counter = Counter()
    for basket in baskets:
        items = sorted(set(basket))
        for k in range(1, len(items) + 1):
            counts.update(combinations(items, k))
    return {s: c for s, c in counts.items() if c >= min_count}


@pytest.mark.parametrize("chunk_size", [7, 100, 10_000])
def test_same_itemsets_and_counts_as_brute_force(chunk_size: int) -> None:
    lists = random_baskets(600, 20, seed=3)
    found = frequent_itemsets(Baskets.from_lists(lists), 20, 0.03, chunk_size=chunk_size)
    assert found == brute_force(lists, min_count_for(0.03, 600))
    assert max(len(s) for s in found) >= 3


def test_same_itemsets_and_supports_as_mlxtend() -> None:
    from mlxtend.frequent_patterns import fpgrowth

    lists = random_baskets(400, 15, seed=9)
    onehot = np.zeros((400, 15), dtype=bool)
    for row, basket in enumerate(lists):
        onehot[row, basket] = True
    reference = fpgrowth(pd.DataFrame(onehot, columns=range(15)), min_support=0.05)
    expected = {tuple(sorted(s)): round(sup * 400) for s, sup in zip(reference["itemsets"], reference["support"])}
    assert frequent_itemsets(Baskets.from_lists(lists), 15, 0.05) == expected


def test_apriori_join_keeps_only_candidates_whose_subsets_are_all_frequent() -> None:
    assert next_candidates([(1, 2), (1, 3), (2, 3), (1, 4)]) == [(1, 2, 3)]  # (1,2,4) lacks (2,4); (1,3,4) lacks (3,4)
    assert next_candidates([(1,), (2,), (5,)]) == [(1, 2), (1, 5), (2, 5)]


def test_min_count_and_bad_support() -> None:
    assert (min_count_for(0.01, 1000), min_count_for(0.0105, 1000), min_count_for(1e-9, 10)) == (10, 11, 1)
    with pytest.raises(ValueError, match=r"min_support must be in \(0, 1\], not 0"):
        min_count_for(0, 10)


def test_empty_baskets_and_chunks_that_hold_no_frequent_item() -> None:
    lists = [[], [0, 1], [], [0, 1], [5]]
    assert frequent_itemsets(Baskets.from_lists(lists), 6, 0.4, chunk_size=2) == {(0,): 2, (1,): 2, (0, 1): 2}
