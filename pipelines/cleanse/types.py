"""Coercing text columns to typed ones, recording the first value that does not fit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd


def coerce_numeric(
    records: pd.DataFrame, columns: Sequence[str], null_markers: Iterable[str] = ("", "NA", "NaN", "null")
) -> tuple[pd.DataFrame, pd.Series]:
    """Numbers from text columns; per row, a detail naming the first value that is not a number (else None)."""
    markers = set(null_markers)
    numbers = pd.DataFrame(index=records.index)
    problem = pd.Series(None, index=records.index, dtype="object")
    for column in columns:
        text = records[column].where(~records[column].isin(markers), None)
        text = text.where(text.isna(), text.str.strip())
        values = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = text.notna() & values.isna() & problem.isna()
        if bad.any():
            problem[bad] = [f"{column}={v!r} is not a number" for v in text[bad]]
        numbers[column] = values
    return numbers, problem


def integral(values: pd.Series) -> pd.Series:
    """True where a float is a whole number."""
    return values.notna() & (values == values.round())
