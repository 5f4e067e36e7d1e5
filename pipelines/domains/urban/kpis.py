"""Disposal KPIs and recurring problems of city-management cases. Pure.

**KPIs** per department, class, area (community area / district) and local month of the report: cases, cases
closed, the on-time disposal rate (disposed within the class's deadline from dispatch; a case not disposed yet
counts as late once its deadline has passed at `as_of`, and is left out before), the median hours of each stage
(register, dispatch, dispose, check, close: each from the stage before) and the reopen rate (cases a check sent back
at least once).

**Recurrence**: a case of the same small class in the same grid cell as an earlier one within `within_days` days: a
problem that comes back (a drain that blocks again, a vendor who returns).
"""

from __future__ import annotations

import pandas as pd

STAGES = (
    ("register", "ts_utc", "registered_utc"),
    ("dispatch", "registered_utc", "dispatched_utc"),
    ("dispose", "dispatched_utc", "disposed_utc"),
    ("check", "disposed_utc", "checked_utc"),
    ("close", "checked_utc", "closed_utc"),
)
KPI_KEY = ["month", "department", "kind", "class_code", "district"]


def on_time(cases: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Per case: True disposed within its deadline from dispatch, False late (disposed late, or still not disposed
    after its deadline at `as_of`), NA when it cannot be judged yet (not dispatched, or its deadline is ahead)."""
    deadline = cases["dispatched_utc"] + pd.to_timedelta(cases["deadline_hours"], unit="h")
    disposed = cases["disposed_utc"].notna()
    result = pd.Series(pd.NA, index=cases.index, dtype="boolean")
    result[disposed] = (cases.loc[disposed, "disposed_utc"] <= deadline[disposed]).to_numpy()
    overdue = ~disposed & cases["dispatched_utc"].notna() & (deadline < as_of)
    result[overdue] = False
    return result


def disposal_kpis(cases: pd.DataFrame, timezone: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """Cases with their service level (`classes.with_levels`) -> one row per KPI_KEY."""
    times = {c: pd.to_datetime(cases[c], utc=True) for c in {c for _, a, b in STAGES for c in (a, b)}}
    cases = cases.assign(**times)  # an all-empty stage is still a UTC time
    local = cases["ts_utc"].dt.tz_convert(timezone)
    frame = cases.assign(
        month=local.dt.tz_localize(None).dt.to_period("M").dt.to_timestamp().dt.date,
        district=cases["district"].fillna("(outside every area)"),
        on_time=on_time(cases, as_of),
        closed=cases["closed_utc"].notna(),
        reopened_any=cases["reopened"].fillna(0) > 0,
    )
    for stage, start, end in STAGES:
        frame[f"{stage}_hours"] = (frame[end] - frame[start]).dt.total_seconds() / 3600
    grouped = frame.groupby(KPI_KEY, sort=True, dropna=False)
    out = grouped.agg(
        cases=("case_id", "size"),
        closed=("closed", "sum"),
        judged=("on_time", "count"),
        on_time=("on_time", "sum"),
        reopened=("reopened_any", "sum"),
        deadline_hours=("deadline_hours", "first"),
        class_name=("class_name", "first"),
        large_name=("large_name", "first"),
        **{f"median_{stage}_hours": (f"{stage}_hours", "median") for stage, _, _ in STAGES},
    ).reset_index()
    return out.assign(
        on_time_rate=(out["on_time"] / out["judged"]).where(out["judged"] > 0),
        reopen_rate=out["reopened"] / out["cases"],
        cases=out["cases"].astype("int64"),
        closed=out["closed"].astype("int64"),
        judged=out["judged"].astype("int64"),
        on_time=out["on_time"].astype("int64"),
        reopened=out["reopened"].astype("int64"),
    )


def recurrences(cases: pd.DataFrame, within_days: float) -> pd.DataFrame:
    """Every case whose small class came up in its grid cell before, within `within_days`: the case, the one before
    it, the days between, and how many times the problem has come up there so far (the first is 1)."""
    located = cases.dropna(subset=["grid_cell"]).sort_values(["grid_cell", "kind", "class_code", "ts_utc", "case_id"])
    group = located.groupby(["grid_cell", "kind", "class_code"], sort=False)
    previous_ts, previous_id = group["ts_utc"].shift(), group["case_id"].shift()
    gap_days = (located["ts_utc"] - previous_ts).dt.total_seconds() / 86400
    again = gap_days.notna() & (gap_days <= within_days)
    episode = (~again).astype(int).groupby([located["grid_cell"], located["kind"], located["class_code"]]).cumsum()
    occurrence = again.astype(int).groupby([located["grid_cell"], located["kind"], located["class_code"], episode]).cumsum() + 1
    out = located.assign(previous_case_id=previous_id, days_since_previous=gap_days, occurrence=occurrence.astype("int64"))[again]
    return out[
        [
            "case_id",
            "grid_cell",
            "kind",
            "class_code",
            "ts_utc",
            "previous_case_id",
            "days_since_previous",
            "occurrence",
            "district",
        ]
    ].reset_index(drop=True)
