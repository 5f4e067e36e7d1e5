"""Exact frequent itemsets by Eclat over vertical bit-vectors. Pure.

Each frequent item becomes a bit-vector over the baskets (bit b set when basket b holds it). The search is
depth first: the class of an itemset is the set of items that may extend it, and a whole class is
extended at once by AND-ing its members' vectors with the itemset's and counting bits (numpy), keeping
only the 64-basket words where the itemset occurs, so that deep itemsets touch few words. Items are
taken rarest first, and the baskets are reordered so that those sharing their rarest items sit together
(their vectors' non-zero words bunch up). The supports are exact: every count is a popcount of the
baskets that hold the whole itemset.

On the cluster the baskets stay in chunks on the workers, each chunk builds its own vectors, and the
search is split by top-level class (the itemsets whose rarest item is a given item), balanced by their
estimated cost: each worker assembles the full vectors once (from its peers' chunks) and mines its classes;
the results are disjoint and only they travel back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import distributed


Itemset = tuple[int, ...]

PACK_BLOCK = 1 << 16  # baskets packed into bits at a time: a (items x block) boolean matrix stays a few MiB


@dataclass(frozen=True)
class Baskets:
    """Baskets as compressed rows: items of basket i are `items[offsets[i]:offsets[i + 1]]` (distinct item ids)."""

    offsets: np.ndarray  # int64, len = baskets + 1
    items: np.ndarray  # int32 item ids

    @classmethod
    def from_lists(cls, baskets: Iterable[Iterable[int]]) -> "Baskets":
        rows = [np.unique(np.fromiter(b, dtype=np.int32)) for b in baskets]
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(r) for r in rows])
        return cls(offsets, np.concatenate(rows) if rows else np.empty(0, dtype=np.int32))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def chunks(self, size: int) -> list["Baskets"]:
        """Consecutive slices of at most `size` baskets."""
        out = []
        for start in range(0, len(self), size):
            stop = min(start + size, len(self))
            a, b = self.offsets[start], self.offsets[stop]
            out.append(Baskets(self.offsets[start : stop + 1] - a, self.items[a:b]))
        return out

    def basket_ids(self) -> np.ndarray:
        """The basket number of each entry of `items`."""
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.offsets))

    def take(self, order: np.ndarray) -> "Baskets":
        """The baskets in the given order (a permutation of basket numbers)."""
        sizes = np.diff(self.offsets)[order]
        offsets = np.zeros(len(order) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        within = np.arange(offsets[-1], dtype=np.int64) - np.repeat(offsets[:-1], sizes)
        return Baskets(offsets, self.items[np.repeat(self.offsets[:-1][order], sizes) + within])


def item_counts(chunk: Baskets, n_items: int) -> np.ndarray:
    """How many baskets of the chunk hold each item."""
    return np.bincount(chunk.items, minlength=n_items).astype(np.int64)


@dataclass(frozen=True)
class ItemOrder:
    """The frequent items in the order the search takes them: rarest first, ties by item id."""

    items: np.ndarray  # item ids; row r of the bit-vectors is items[r]
    counts: np.ndarray  # their support counts
    n_items: int

    @classmethod
    def of(cls, counts: np.ndarray, min_count: int) -> "ItemOrder":
        frequent = np.flatnonzero(counts >= min_count)
        ranked = frequent[np.lexsort((frequent, counts[frequent]))]
        return cls(ranked.astype(np.int64), counts[ranked].astype(np.int64), len(counts))

    def __len__(self) -> int:
        return len(self.items)

    def rows(self) -> np.ndarray:
        """Item id -> its row (len(self) for an item that is not frequent)."""
        row = np.full(self.n_items, len(self.items), dtype=np.int64)
        row[self.items] = np.arange(len(self.items))
        return row


def vertical_bits(chunk: Baskets, order: ItemOrder, sort_baskets: bool = True) -> np.ndarray:
    """One bit-vector (uint64 words) per frequent item, row r for order.items[r], over the chunk's baskets.

    With `sort_baskets` the baskets are first reordered by their three rarest frequent items, so that
    the baskets holding a rare item fill few words. Counting is unaffected: a popcount does not depend
    on which bit a basket has.
    """
    m, n = len(order), len(chunk)
    words = max((n + 63) // 64, 1)
    if m == 0 or n == 0:
        return np.zeros((m, words), dtype=np.uint64)
    row_of_item = order.rows()
    rows_of = row_of_item[chunk.items]
    if sort_baskets:
        chunk = chunk.take(_rarest_first(chunk, rows_of, m))
        rows_of = row_of_item[chunk.items]
    packed = np.zeros((m, words * 8), dtype=np.uint8)
    basket = chunk.basket_ids()
    for start in range(0, n, PACK_BLOCK):
        stop = min(n, start + PACK_BLOCK)
        a, b = chunk.offsets[start], chunk.offsets[stop]
        kept = rows_of[a:b] < m
        block = np.zeros((m, PACK_BLOCK), dtype=bool)
        block[rows_of[a:b][kept], basket[a:b][kept] - start] = True
        part = np.packbits(block, axis=1, bitorder="little")  # basket start + i -> bit i % 8 of byte i // 8
        width = min(part.shape[1], packed.shape[1] - start // 8)
        packed[:, start // 8 : start // 8 + width] = part[:, :width]
    return packed.view(np.uint64)  # little-endian words: basket 64 w + k is bit k of word w


def _rarest_first(chunk: Baskets, rows_of: np.ndarray, m: int, depth: int = 3) -> np.ndarray:
    """The permutation that sorts baskets by their `depth` rarest frequent items (by row; absent = m)."""
    starts = chunk.offsets[:-1]
    empty = np.diff(chunk.offsets) == 0
    remaining = np.append(rows_of, m)  # a sentinel so that reduceat may start at len(items)
    keys = []
    for _ in range(depth):
        rarest = np.minimum.reduceat(remaining, starts)
        rarest[empty] = m
        keys.append(rarest)
        remaining[:-1][remaining[:-1] == np.repeat(rarest, np.diff(chunk.offsets))] = m
    return np.lexsort(keys[::-1])


def class_costs(bits: np.ndarray) -> np.ndarray:
    """An estimate of the work in each top-level class: the item's non-zero words x the items after it."""
    m = bits.shape[0]
    return np.count_nonzero(bits, axis=1).astype(np.float64) * (m - 1 - np.arange(m))


def mine_classes(
    bits: np.ndarray, order: ItemOrder, min_count: int, max_len: int | None, first_rows: Iterable[int]
) -> dict[Itemset, int]:
    """Every frequent itemset of two or more items whose rarest item is order.items[r], r in `first_rows`."""
    names = order.items
    found: dict[Itemset, int] = {}

    def extend(prefix: Itemset, prefix_bits: np.ndarray, members: np.ndarray, member_rows: np.ndarray) -> None:
        joint = members & prefix_bits
        support = np.bitwise_count(joint).sum(axis=1, dtype=np.int64)
        keep = np.flatnonzero(support >= min_count)
        if not len(keep):
            return
        kept, kept_rows = joint[keep], member_rows[keep]
        for row, count in zip(kept_rows.tolist(), support[keep].tolist()):
            found[tuple(sorted((*prefix, int(names[row]))))] = count
        if max_len is not None and len(prefix) + 2 > max_len:
            return
        for j in range(len(keep) - 1):
            words = np.flatnonzero(kept[j])
            extend((*prefix, int(names[kept_rows[j]])), kept[j, words], kept[j + 1 :, words], kept_rows[j + 1 :])

    all_rows = np.arange(len(names))
    if max_len is None or max_len >= 2:
        for r in first_rows:
            words = np.flatnonzero(bits[r])
            extend((int(names[r]),), bits[r, words], bits[r + 1 :, words], all_rows[r + 1 :])
    return found


def balanced_classes(costs: np.ndarray, parts: int) -> list[list[int]]:
    """Top-level classes dealt into `parts` groups of about equal cost (largest first to the lightest group)."""
    groups: list[list[int]] = [[] for _ in range(parts)]
    load = np.zeros(parts)
    for row in np.argsort(-costs, kind="stable").tolist():
        lightest = int(np.argmin(load))
        groups[lightest].append(row)
        load[lightest] += costs[row]
    return [sorted(g) for g in groups]


def min_count_for(min_support: float, n_baskets: int) -> int:
    """The smallest count that reaches a relative support (support = count / baskets)."""
    if not 0 < min_support <= 1:
        raise ValueError(f"min_support must be in (0, 1], not {min_support}")
    return max(1, int(np.ceil(min_support * n_baskets - 1e-9)))


def _singles(order: ItemOrder) -> dict[Itemset, int]:
    return {(int(i),): int(c) for i, c in zip(order.items, order.counts)}


def frequent_itemsets(
    baskets: Baskets, n_items: int, min_support: float, max_len: int | None = None, chunk_size: int | None = None
) -> dict[Itemset, int]:
    """Every itemset in at least `min_support` of the baskets, with its exact count, in this process.

    `chunk_size` builds the vectors chunk by chunk, as the cluster does, and joins them.
    """
    min_count = min_count_for(min_support, len(baskets))
    order = ItemOrder.of(item_counts(baskets, n_items), min_count)
    chunks = baskets.chunks(chunk_size) if chunk_size else [baskets]
    bits = np.concatenate([vertical_bits(c, order) for c in chunks], axis=1)
    return _singles(order) | mine_classes(bits, order, min_count, max_len, range(len(order)))


def mine_on_cluster(
    client: distributed.Client,
    chunk_futures: Sequence[distributed.Future],
    n_baskets: int,
    n_items: int,
    min_support: float,
    max_len: int | None = None,
) -> dict[Itemset, int]:
    """The same exact itemsets from chunks that already live on the workers (futures of Baskets, built there).

    Each chunk's vectors are built on its worker; each worker thread gets a share of the classes, balanced
    by cost, and the vectors it needs are joined on that worker (a worker that dies takes its share to
    another: the tasks may run anywhere, only preferring their worker).
    """
    min_count = min_count_for(min_support, n_baskets)
    counts = sum(client.gather([client.submit(item_counts, c, n_items, pure=False) for c in chunk_futures]))
    order = ItemOrder.of(np.asarray(counts), min_count)
    chunk_bits = [client.submit(vertical_bits, c, order, pure=False) for c in chunk_futures]
    costs = sum(client.gather([client.submit(class_costs, b, pure=False) for b in chunk_bits]))
    slots = [w for w, info in client.scheduler_info()["workers"].items() for _ in range(info["nthreads"])]
    workers = sorted(set(slots))
    joined = {w: client.submit(_join, *chunk_bits, workers=[w], allow_other_workers=True, pure=False) for w in workers}
    shares = balanced_classes(np.asarray(costs, dtype=np.float64), len(slots))
    parts = [
        client.submit(
            mine_classes, joined[w], order, min_count, max_len, share, workers=[w], allow_other_workers=True, pure=False
        )
        for w, share in zip(slots, shares)
        if share
    ]
    found = _singles(order)
    for part in client.gather(parts):
        found.update(part)
    client.cancel([*chunk_bits, *joined.values(), *parts])
    return found


def _join(*bits: np.ndarray) -> np.ndarray:
    return np.concatenate(bits, axis=1)
