"""Anomalous periods as events, domain-free: runs of flagged steps grouped into periods, and found periods scored
against known events at the event level. Pure.

A found period that overlaps a true event is a hit; precision is the share of found periods that hit, recall the
share of events found. Used by water flow (hourly) and emergency call volumes (5 minutes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def flagged_runs(flagged: np.ndarray, merge_gap: int) -> list[tuple[int, int]]:
    """[first, last] positions (inclusive) of each run of True, runs at most `merge_gap` steps apart joined."""
    steps = np.flatnonzero(np.asarray(flagged, dtype=bool))
    if not len(steps):
        return []
    breaks = np.flatnonzero(np.diff(steps) > merge_gap + 1)
    starts, ends = np.r_[steps[0], steps[breaks + 1]], np.r_[steps[breaks], steps[-1]]
    return [(int(a), int(b)) for a, b in zip(starts, ends)]


@dataclass(frozen=True)
class EventScore:
    """Event-level agreement of found periods with true events."""

    events: int
    found: int
    hits: int  # found periods overlapping some event
    events_found: int  # events overlapped by some found period

    @property
    def precision(self) -> float:
        return self.hits / self.found if self.found else float("nan")

    @property
    def recall(self) -> float:
        return self.events_found / self.events if self.events else float("nan")

    @property
    def false_alarms(self) -> int:
        return self.found - self.hits


def event_score(found: pd.DataFrame, events: pd.DataFrame) -> EventScore:
    """`found` and `events` have start_utc and end_utc (end exclusive); overlap is a match."""
    overlap = np.zeros((len(found), len(events)), dtype=bool)
    for i, f in enumerate(found.itertuples()):
        overlap[i] = (events["start_utc"] < f.end_utc).to_numpy() & (events["end_utc"] > f.start_utc).to_numpy()
    return EventScore(len(events), len(found), int(overlap.any(axis=1).sum()), int(overlap.any(axis=0).sum()))
