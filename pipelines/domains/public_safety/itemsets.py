"""Exact frequent itemsets by level-wise counting over vertical bitsets. Pure.

Baskets are split into chunks; each chunk turns into one bit-vector per frequent item (bit b set when
basket b holds the item). At each level the candidates (Apriori join + prune of the level below) are
counted in every chunk by AND-ing their items' bit-vectors and counting bits, and the counts are summed:
the supports are exact, and a chunk's memory is (frequent items x chunk size / 8) bytes however many
baskets there are. On the cluster each chunk lives on a worker and only candidates and counts travel.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import distributed


Itemset = tuple[int, ...]


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


def item_counts(chunk: Baskets, n_items: int) -> np.ndarray:
    """How many baskets of the chunk hold each item."""
    return np.bincount(chunk.items, minlength=n_items).astype(np.int64)


class BitsetChunk:
    """One chunk's baskets as a bit-vector per item kept (uint64 words, basket b = bit b).

    The vectors are cut into blocks of `block` baskets so that the few vectors one candidate touches
    stay in the CPU cache while they are AND-ed and counted.
    """

    def __init__(self, chunk: Baskets, kept_items: Sequence[int], block: int = 1 << 18) -> None:
        kept = np.asarray(sorted(kept_items), dtype=np.int32)
        self.row = {int(item): i for i, item in enumerate(kept)}
        self.blocks = [self._bits(part, kept) for part in chunk.chunks(block)] or [self._bits(chunk, kept)]

    @staticmethod
    def _bits(chunk: Baskets, kept: np.ndarray) -> np.ndarray:
        bits = np.zeros((len(kept), max((len(chunk) + 63) // 64, 1)), dtype=np.uint64)
        if len(kept) and len(chunk):
            lookup = np.full(max(int(chunk.items.max(initial=0)) + 1, int(kept.max()) + 1), -1, dtype=np.int64)
            lookup[kept] = np.arange(len(kept))
            rows = lookup[chunk.items]
            mask = rows >= 0
            baskets = chunk.basket_ids()[mask]
            positions = rows[mask] * bits.shape[1] + baskets // 64
            np.bitwise_or.at(bits.reshape(-1), positions, np.left_shift(np.uint64(1), (baskets % 64).astype(np.uint64)))
        return bits

    def count(self, candidates: Sequence[Itemset]) -> np.ndarray:
        """The support count of each candidate (sorted item tuples of equal length) in this chunk."""
        counts = np.zeros(len(candidates), dtype=np.int64)
        by_prefix: dict[Itemset, list[int]] = defaultdict(list)
        for i, candidate in enumerate(candidates):
            by_prefix[candidate[:-1]].append(i)
        groups = [
            ([self.row[item] for item in prefix], members, [self.row[candidates[i][-1]] for i in members])
            for prefix, members in by_prefix.items()
        ]
        for bits in self.blocks:
            for prefix_rows, members, last_rows in groups:
                joint = bits[last_rows]
                if prefix_rows:
                    base = bits[prefix_rows[0]]
                    for row in prefix_rows[1:]:
                        base = base & bits[row]
                    joint &= base
                counts[members] += np.bitwise_count(joint).sum(axis=1, dtype=np.int64)
        return counts


def next_candidates(frequent: Sequence[Itemset]) -> list[Itemset]:
    """Apriori: join itemsets of size k sharing their first k-1 items; drop those with an infrequent subset."""
    known = set(frequent)
    by_prefix: dict[Itemset, list[int]] = defaultdict(list)
    for itemset in sorted(frequent):
        by_prefix[itemset[:-1]].append(itemset[-1])
    out = []
    for prefix, lasts in by_prefix.items():
        for a, b in combinations(lasts, 2):
            candidate = (*prefix, a, b)
            if all(sub in known for sub in combinations(candidate, len(candidate) - 1)):
                out.append(candidate)
    return out


def min_count_for(min_support: float, n_baskets: int) -> int:
    """The smallest count that reaches a relative support (support = count / baskets)."""
    if not 0 < min_support <= 1:
        raise ValueError(f"min_support must be in (0, 1], not {min_support}")
    return max(1, int(np.ceil(min_support * n_baskets - 1e-9)))


def frequent_itemsets(
    baskets: Baskets, n_items: int, min_support: float, max_len: int | None = None, chunk_size: int = 1 << 18
) -> dict[Itemset, int]:
    """Every itemset in at least `min_support` of the baskets, with its exact count (in-process reference path)."""
    chunks = baskets.chunks(chunk_size)
    counts = sum((item_counts(c, n_items) for c in chunks), np.zeros(n_items, dtype=np.int64))
    min_count = min_count_for(min_support, len(baskets))
    singles = [int(i) for i in np.flatnonzero(counts >= min_count)]
    result: dict[Itemset, int] = {(i,): int(counts[i]) for i in singles}
    bitsets = [BitsetChunk(c, singles) for c in chunks]
    level: list[Itemset] = [(i,) for i in singles]
    while level and (max_len is None or len(level[0]) < max_len):
        candidates = next_candidates(level)
        if not candidates:
            break
        totals = sum((b.count(candidates) for b in bitsets), np.zeros(len(candidates), dtype=np.int64))
        level = [c for c, n in zip(candidates, totals) if n >= min_count]
        result.update({c: int(n) for c, n in zip(candidates, totals) if n >= min_count})
    return result


def mine_on_cluster(
    client: distributed.Client,
    chunk_futures: Sequence[distributed.Future],
    n_baskets: int,
    n_items: int,
    min_support: float,
    max_len: int | None = None,
) -> dict[Itemset, int]:
    """The same exact itemsets from chunks that already live on the workers (futures of Baskets, built there).

    Each chunk's bit-vectors are built and kept on its worker; per level only the candidate list goes
    out and one count vector per chunk comes back.
    """
    min_count = min_count_for(min_support, n_baskets)
    counts = sum(client.gather([client.submit(item_counts, c, n_items, pure=False) for c in chunk_futures]))
    singles = [int(i) for i in np.flatnonzero(counts >= min_count)]
    result: dict[Itemset, int] = {(i,): int(counts[i]) for i in singles}
    bitsets = [client.submit(BitsetChunk, c, singles, pure=False) for c in chunk_futures]
    level: list[Itemset] = [(i,) for i in singles]
    while level and (max_len is None or len(level[0]) < max_len):
        candidates = next_candidates(level)
        if not candidates:
            break
        packed = np.asarray(candidates, dtype=np.int32)  # an array ships and hashes fast; a list of tuples does not
        totals = sum(
            client.gather([client.submit(_count, b, packed, pure=False) for b in bitsets]),
            np.zeros(len(candidates), dtype=np.int64),
        )
        level = [c for c, n in zip(candidates, totals) if n >= min_count]
        result.update({c: int(n) for c, n in zip(candidates, totals) if n >= min_count})
    client.cancel(bitsets)
    return result


def _count(bitsets: BitsetChunk, candidates: np.ndarray) -> np.ndarray:
    return bitsets.count([tuple(row) for row in candidates.tolist()])
