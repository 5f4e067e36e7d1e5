"""Gaps in a regular series are counted and flagged, never filled with invented values."""

from __future__ import annotations

import pandas as pd


def missing_steps(stamps: pd.Series, step: str = "1h") -> int:
    """How many steps of a regular series are absent between its first and last timestamp."""
    present = stamps.dropna().drop_duplicates()
    if present.empty:
        return 0
    expected = len(pd.date_range(present.min(), present.max(), freq=step))
    return int(expected - len(present))
