"""Duplicates by the feed's policy; every row dropped is counted with why. Pure.

Rows equal in every mapped column are copies: one is kept, and the others are counted as exact copies, or as
"differs only in unmapped columns" (naming them) when the delivered records differed in columns the feed
does not map. Rows sharing a key with different values follow the policy:

- `conflict` (default): all of them are rejected (no copy is guessed right);
- `keep_first` / `keep_latest`: the first by line / the latest by a column is kept, the others superseded;
- `merge`: one row per key (the first), with the number of delivered rows of that key in `count_into`
  (a victim-per-row export becomes one incident with its victim count).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from pipelines.cleanse.text import arrow_strings

Policy = Literal["conflict", "keep_first", "keep_latest", "merge"]
EXACT_COPY = "exact copy"
UNMAPPED_ONLY = "differs only in unmapped columns"


@dataclass(frozen=True)
class Dedup:
    """The outcome of deduplicating one partition."""

    kept: pd.DataFrame
    conflicts: pd.DataFrame
    removed: dict[str, int] = field(default_factory=dict)  # why rows were dropped -> how many

    @property
    def removed_duplicates(self) -> int:
        """Every row dropped, whatever the reason."""
        return sum(self.removed.values())


def _copies(frame: pd.DataFrame, mapped: list[str], sources: Sequence[str]) -> tuple[pd.Series, dict[str, int]]:
    """Rows equal to an earlier row in every mapped column, and how many are true copies or differ in sources only."""
    grouped = frame.duplicated(subset=mapped, keep=False)  # the rows of a group of equal rows: few, in practice
    copy = pd.Series(False, index=frame.index)
    if not grouped.any():
        return copy, {}
    in_groups = frame[grouped]  # an earlier equal row is in the same group: the rest of the frame need not be compared
    copy[grouped] = in_groups.duplicated(subset=mapped, keep="first")
    if not sources:
        return copy, {EXACT_COPY: int(copy.sum())}
    identical = copy.copy()
    identical[grouped] = in_groups.duplicated(subset=[*mapped, *sources], keep="first")
    identical &= copy
    counts = {EXACT_COPY: int(identical.sum())}
    differing = copy & ~identical
    if differing.any():
        groups = in_groups.groupby(mapped, dropna=False, sort=False)
        varying = groups[list(sources)].nunique(dropna=False).max()
        names = sorted(str(c) for c in varying[varying > 1].index)
        counts[f"{UNMAPPED_ONLY}: {', '.join(names)}"] = int(differing.sum())
    return copy, {reason: n for reason, n in counts.items() if n}


def deduplicate(
    frame: pd.DataFrame,
    key: Sequence[str],
    payload: Sequence[str],
    sources: Sequence[str] = (),
    policy: Policy = "conflict",
    latest_by: str | None = None,
    count_into: str | None = None,
) -> Dedup:
    """One row per key by `policy`; `sources` are the delivered columns (to tell true copies from look-alikes)."""
    key = list(key)
    # Only rows that share their key with another can be copies or clash: compare the wide rows among those alone.
    shared = frame.duplicated(subset=key, keep=False).to_numpy()
    copy = np.zeros(len(frame), dtype=bool)
    removed: dict[str, int] = {}
    if shared.any():
        copies, removed = _copies(frame[shared], [*key, *payload], sources)
        copy[shared] = copies.to_numpy()
    if policy == "conflict":  # masks first, one take of the whole frame at the end (the rows carry wide text columns)
        contested = shared & ~copy
        clash = np.zeros(len(frame), dtype=bool)
        clash[contested] = frame.loc[contested, key].duplicated(keep=False).to_numpy()
        return Dedup(frame[~copy & ~clash], frame[clash], removed)
    distinct = frame[~copy]
    if policy == "keep_latest":
        if latest_by is None:
            raise ValueError("keep_latest needs latest_by")
        ordered = distinct.sort_values(latest_by, kind="stable", na_position="first")
        survivors = ordered[~ordered.duplicated(subset=key, keep="last")].sort_index()
        reason = f"superseded by a later {latest_by} (keep_latest)"
    else:
        survivors = distinct[~distinct.duplicated(subset=key, keep="first")]
        reason = "merged into one row per key (merge)" if policy == "merge" else "superseded by an earlier row (keep_first)"
    if len(survivors) < len(distinct):
        removed[reason] = len(distinct) - len(survivors)
    if policy == "merge" and count_into:
        sizes = frame.groupby(key, dropna=False, sort=False).size()
        index = pd.MultiIndex.from_frame(survivors[key]) if len(key) > 1 else pd.Index(survivors[key[0]])
        survivors = survivors.assign(**{count_into: sizes.reindex(index).to_numpy()})
    return Dedup(survivors, distinct.iloc[0:0], removed)


def in_order(frame: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The rows ordered by the columns `by` (missing values last), as a stable sort gives them: one take of the
    frame, none when it is in order already."""
    codes = [_sort_keys(frame[column]) for column in reversed(list(by))]  # np.lexsort sorts by its last array first
    order = np.lexsort(codes) if codes else np.arange(len(frame))
    if len(order) < 2 or bool((np.diff(order) > 0).all()):
        return frame
    # a text column of one value (the file a chunk came from) reads the same in any order: not copied
    same = [c for c in frame.columns if _one_text_value(frame[c])]
    ordered = frame.drop(columns=same).take(order)
    return ordered.assign(**{c: pd.Series(frame[c].array, index=ordered.index) for c in same})[list(frame.columns)]


def _sort_keys(column: pd.Series) -> np.ndarray:
    """Numbers that sort as the column does, missing values last: the values themselves for plain numbers and
    instants (the numbers behind a missing instant put last), else the codes of the sorted distinct values."""
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype | pd.DatetimeTZDtype) else ""
    if kind and kind in "iuf":  # floats: lexsort puts NaN last already
        return column.to_numpy()
    if kind == "M":
        instants = column.array.asi8
        return np.where(column.isna().to_numpy(), np.iinfo(np.int64).max, instants)
    values, _ = pd.factorize(column, sort=True)
    return np.where(values < 0, np.iinfo(np.int64).max, values)


def _one_text_value(column: pd.Series) -> bool:
    """True for a text column whose every row holds the same string (no nulls)."""
    values = arrow_strings(column)
    if values is None or len(values) == 0 or values.null_count:
        return False
    return bool(pc.all(pc.equal(values, values[0])).as_py())
