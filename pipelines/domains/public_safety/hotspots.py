"""Crime hotspots: incidents per district x local hour x weekday and period, with the trend on the period before. Pure."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

HOTSPOT_COLUMNS = [
    "period",
    "district",
    "weekday",
    "hour",
    "incidents",
    "previous_incidents",
    "change_pct",
    "suppressed",
]
PERIODS = {"year": "Y", "quarter": "Q", "month": "M"}


def period_label(local: pd.Series, granularity: str) -> pd.Series:
    """2019, 2019-Q3 or 2019-07 for each local timestamp."""
    if granularity not in PERIODS:
        raise ValueError(f"unknown period {granularity!r}; known: {', '.join(PERIODS)}")
    stamps = local.dt.tz_localize(None).dt.to_period(PERIODS[granularity])
    labels = stamps.astype(str)
    return labels.str.replace(r"^(\d{4})Q(\d)$", r"\1-Q\2", regex=True)


CELL = ["period", "district", "weekday", "hour"]


def cell_counts(incidents: pd.DataFrame, granularity: str, timezone: str) -> pd.DataFrame:
    """Incidents (ts_utc, district) counted per (period, district, local weekday, local hour); no district: "unknown"."""
    local = incidents["ts_utc"].dt.tz_convert(timezone)
    frame = pd.DataFrame(
        {
            "period": period_label(local, granularity),
            "district": incidents["district"].astype(object).where(incidents["district"].notna(), "unknown"),
            "weekday": local.dt.weekday.astype("int64"),
            "hour": local.dt.hour.astype("int64"),
        }
    )
    return frame.value_counts().rename("incidents").reset_index()


def hotspots(counts: pd.DataFrame, min_group_size: int = 1) -> pd.DataFrame:
    """Cells with their count, the same cell's count in the previous period and the change; small groups suppressed.

    `counts` may hold several partial counts of a cell (one per partition of the lake): they are summed.
    Only cells with incidents appear. The previous count is 0 when the previous period (in the data) had
    none there, null for the first period. A cell whose count, or previous count, is below
    `min_group_size` keeps its row with every number null and `suppressed` true.
    """
    cells = counts.groupby(CELL, as_index=False)["incidents"].sum()
    periods = sorted(cells["period"].unique())
    following = dict(itertools.pairwise(periods))
    before = cells.assign(period=cells["period"].map(following)).dropna(subset=["period"])
    cells = cells.merge(before.rename(columns={"incidents": "previous_incidents"}), how="left", on=CELL)
    has_previous = cells["period"] != periods[0] if periods else pd.Series(dtype=bool)
    cells["previous_incidents"] = cells["previous_incidents"].fillna(0).where(has_previous)
    cells["change_pct"] = (100 * (cells["incidents"] / cells["previous_incidents"] - 1)).where(cells["previous_incidents"] > 0)
    small = (cells["incidents"] < min_group_size) | (
        (cells["previous_incidents"] > 0) & (cells["previous_incidents"] < min_group_size)
    )
    cells["suppressed"] = small
    cells.loc[small, ["incidents", "previous_incidents", "change_pct"]] = np.nan
    return cells.sort_values(CELL).reset_index(drop=True)[HOTSPOT_COLUMNS]
