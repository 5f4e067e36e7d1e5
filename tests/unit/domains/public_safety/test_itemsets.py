"""The itemset engine is exact: the same itemsets and counts as brute force and as mlxtend, whatever the chunking."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.public_safety.itemsets import (
    Baskets,
    ItemOrder,
    balanced_classes,
    class_costs,
    frequent_itemsets,
    item_counts,
    min_count_for,
    mine_classes,
    vertical_bits,
)


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


def test_items_are_searched_rarest_first_and_each_row_is_that_items_baskets() -> None:
    lists = [[0, 1], [1, 2], [1], [2, 3], [3], [0, 1, 2]]  # counts 0:2 1:4 2:3 3:2
    baskets = Baskets.from_lists(lists)
    order = ItemOrder.of(item_counts(baskets, 5), min_count=2)
    assert order.items.tolist() == [0, 3, 2, 1] and order.counts.tolist() == [2, 2, 3, 4]
    assert order.rows().tolist() == [0, 3, 2, 1, 4]  # item 4 is not frequent: row = len(order)
    unsorted = vertical_bits(baskets, order, sort_baskets=False)
    assert [bin(int(w)) for w in unsorted[:, 0]] == ["0b100001", "0b11000", "0b101010", "0b100111"]
    resorted = vertical_bits(baskets, order)  # baskets holding the rarest items come first
    assert [bin(int(w)) for w in resorted[:, 0]] == ["0b11", "0b1100", "0b10101", "0b110011"]


def test_baskets_reordered_keep_their_items() -> None:
    baskets = Baskets.from_lists([[4], [], [1, 2, 3], [0, 5]])
    taken = baskets.take(np.array([2, 1, 3, 0]))
    assert taken.offsets.tolist() == [0, 3, 3, 5, 6] and taken.items.tolist() == [1, 2, 3, 0, 5, 4]


def test_classes_split_over_workers_give_the_whole_result_once() -> None:
    lists = random_baskets(500, 12, seed=5)
    baskets = Baskets.from_lists(lists)
    min_count = min_count_for(0.04, 500)
    order = ItemOrder.of(item_counts(baskets, 12), min_count)
    bits = vertical_bits(baskets, order)
    shares = balanced_classes(class_costs(bits), 3)
    assert sorted(r for share in shares for r in share) == list(range(len(order)))
    parts = [mine_classes(bits, order, min_count, None, share) for share in shares]
    assert sum(len(p) for p in parts) == len(set().union(*parts))
    whole = {k: v for k, v in brute_force(lists, min_count).items() if len(k) > 1}
    assert {k: v for p in parts for k, v in p.items()} == whole


def test_max_len_stops_the_search() -> None:
    lists = random_baskets(300, 10, seed=2)
    found = frequent_itemsets(Baskets.from_lists(lists), 10, 0.05, max_len=2)
    assert found == {k: v for k, v in brute_force(lists, min_count_for(0.05, 300)).items() if len(k) <= 2}


def test_classes_are_dealt_by_cost() -> None:
    assert balanced_classes(np.array([10.0, 1.0, 6.0, 5.0, 0.0]), 2) == [[0, 1, 4], [2, 3]]


def test_min_count_and_bad_support() -> None:
    assert (min_count_for(0.01, 1000), min_count_for(0.0105, 1000), min_count_for(1e-9, 10)) == (10, 11, 1)
    with pytest.raises(ValueError, match=r"min_support must be in \(0, 1\], not 0"):
        min_count_for(0, 10)


def test_empty_baskets_and_chunks_that_hold_no_frequent_item() -> None:
    lists = [[], [0, 1], [], [0, 1], [5]]
    assert frequent_itemsets(Baskets.from_lists(lists), 6, 0.4, chunk_size=2) == {(0,): 2, (1,): 2, (0, 1): 2}
