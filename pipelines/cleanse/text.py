"""Delivered text, vectorized in Arrow: stripped, null markers as missing, read as numbers.

The engine's hot path. A well-formed file arrives as Arrow-backed strings (pandas' `str`); these helpers keep it in
Arrow compute instead of converting every value to a Python object and back. Text Arrow cannot hold (undecodable
bytes kept as surrogates, from the careful reading path) stays in object columns and goes through Python, with the
same results.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# What Arrow's cast reads exactly as Python and pandas read it: a plain decimal or scientific number. Anything else
# ("inf", "1_000", "nan") is rare and goes to pandas, so the accepted values are the same as pandas alone accepts.
PLAIN_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"


def arrow_strings(values: pd.Series) -> pa.ChunkedArray | None:
    """The values as an Arrow string array when they are Arrow-backed text; None for object columns."""
    if values.dtype == object or not pd.api.types.is_string_dtype(values):
        return None
    strings = pa.array(values.array)
    return strings if isinstance(strings, pa.ChunkedArray) else pa.chunked_array([strings])


def as_series(strings: pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """Arrow strings as a pandas `str` Series (missing values NaN)."""
    return pd.Series(pd.array(strings, dtype="str"), index=index)


def stripped(values: pd.Series, markers: set[str]) -> pd.Series:
    """Stripped text with null markers (and NaN) missing: a `str` Series from Arrow-backed text, else object with
    None."""
    strings = arrow_strings(values)
    if strings is not None:
        trimmed = pc.utf8_trim_whitespace(strings)
        if markers:
            marked = pc.is_in(trimmed, value_set=pa.array(sorted(markers), type=trimmed.type))
            trimmed = pc.if_else(marked, pa.scalar(None, type=trimmed.type), trimmed)
        return as_series(trimmed, values.index)
    cleaned = []
    for value in values.tolist():
        if isinstance(value, str):
            value = value.strip()
            cleaned.append(None if value in markers else value)
        elif value is None or (isinstance(value, float) and np.isnan(value)):
            cleaned.append(None)
        else:
            cleaned.append(value)
    return pd.Series(cleaned, index=values.index, dtype=object)


def numbers(text: pd.Series) -> pd.Series:
    """Text read as float64, NaN where it is missing or not a number: what `pd.to_numeric(errors="coerce")` gives,
    with the plain numbers cast in Arrow and only the rest read by pandas."""
    strings = arrow_strings(text)
    if strings is None:
        return pd.to_numeric(text, errors="coerce").astype("float64")
    plain = pc.fill_null(pc.match_substring_regex(strings, PLAIN_NUMBER), False)
    cast = pc.cast(pc.if_else(plain, strings, pa.scalar(None, type=strings.type)), pa.float64())
    result = pd.Series(cast.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")
    other = text.notna().to_numpy() & ~plain.to_numpy(zero_copy_only=False)
    if other.any():
        result[other] = pd.to_numeric(text[other].astype(object), errors="coerce").astype("float64").to_numpy()
    return result


def contains(text: pd.Series, pattern: str, *, regex: bool) -> pd.Series | None:
    """Which values contain `pattern` (a regular expression, or literal text), missing values False; None for an
    object column, which Python has to read."""
    strings = arrow_strings(text)
    if strings is None:
        return None
    hits = pc.match_substring_regex(strings, pattern) if regex else pc.match_substring(strings, pattern)
    return pd.Series(pc.fill_null(hits, False).to_numpy(zero_copy_only=False), index=text.index, dtype=bool)


def by_distinct(text: pd.Series, read: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """`read` applied to each distinct value once and spread back to every row (missing stays missing): a city's
    times repeat across its sensors and stations, so a million rows often hold a few thousand distinct stamps."""
    codes, distinct = pd.factorize(text)
    values = read(pd.Series(distinct, dtype=text.dtype)).to_numpy()
    if codes.size and (codes < 0).any():
        missing = read(pd.Series([None], dtype=text.dtype)).to_numpy()
        values = np.concatenate([values, missing])  # code -1 takes the last element: the reading of a missing value
    return pd.Series(values[codes], index=text.index)
