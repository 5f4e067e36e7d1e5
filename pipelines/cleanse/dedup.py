"""Duplicates: equal copies are removed and counted; conflicting copies of one key are all rejected."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Dedup:
    """The outcome of deduplicating one partition."""

    kept: pd.DataFrame
    conflicts: pd.DataFrame
    removed_duplicates: int


def deduplicate(frame: pd.DataFrame, key: Sequence[str], payload: Sequence[str]) -> Dedup:
    """Keep one row per key; rows sharing a key but not the payload are conflicts (no copy is guessed right)."""
    subset = list(key) + list(payload)
    exact_copy = frame.duplicated(subset=subset, keep="first")
    distinct = frame[~exact_copy]
    clash = distinct.duplicated(subset=list(key), keep=False)
    return Dedup(kept=distinct[~clash], conflicts=distinct[clash], removed_duplicates=int(exact_copy.sum()))
