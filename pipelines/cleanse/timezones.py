"""Local civil time to UTC: the lake stores UTC, marts keep the local date where people think in it."""

from __future__ import annotations

import pandas as pd


def local_parts_to_utc(parts: pd.DataFrame, timezone: str) -> pd.Series:
    """UTC timestamps from year/month/day/hour columns in local time; NaT where the parts are no valid time."""
    whole = parts[["year", "month", "day", "hour"]]
    valid = whole.notna().all(axis=1) & (whole == whole.round()).all(axis=1)
    stamps = pd.Series(pd.NaT, index=parts.index, dtype="datetime64[us, UTC]")
    if not valid.any():
        return stamps
    ok = whole[valid].astype("int64")
    naive = pd.to_datetime(
        dict(year=ok["year"], month=ok["month"], day=ok["day"], hour=ok["hour"]), errors="coerce"
    )
    localized = naive.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
    stamps[valid] = localized.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    return stamps
