"""Calendar periods of an indicator (day, ISO week, month, quarter, year) and the pandemic weeks of a time-shifted
source: the label a reader sees, the first and last day, and an order that sorts them.

A period is complete when the source's data reaches its last day: the latest week of a source whose data ends on a
Wednesday is shown, but not as the week's figure.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

CALENDAR_GRAINS = ("day", "week", "month")
PERIOD_COLUMNS = ["grain", "period", "period_start", "area", "value", "complete", "order"]


def calendar_periods(days: pd.Series, grain: str) -> pd.DataFrame:
    """For each day (datetime64, midnight) its period of `grain`: label, first day, last day."""
    days = pd.to_datetime(days)
    if grain == "day":
        start, end, label = days, days, days.dt.strftime("%Y-%m-%d")
    elif grain == "week":
        start = days - pd.to_timedelta(days.dt.weekday, unit="D")
        end = start + pd.Timedelta(days=6)
        iso = start.dt.isocalendar()
        label = iso["year"].astype(str) + "-W" + iso["week"].astype(int).map("{:02d}".format)
    elif grain in ("month", "quarter", "year"):
        freq = {"month": "M", "quarter": "Q", "year": "Y"}[grain]
        period = days.dt.to_period(freq)
        start, end = period.dt.start_time.dt.normalize(), period.dt.end_time.dt.normalize()
        label = period.astype(str).str.replace(r"(\d{4})Q(\d)", r"\1-Q\2", regex=True)
    else:
        raise ValueError(f"unknown grain {grain!r}; known: day, week, month, quarter, year")
    return pd.DataFrame({"period": label, "period_start": start, "period_end": end}, index=days.index)


def period_start(label: str) -> pd.Timestamp:
    """The first day of a period written `2019`, `2019-Q3`, `2019-07`, `2019-W05` or `2019-07-01`."""
    text = str(label)
    if "-W" in text:
        return pd.Timestamp.fromisocalendar(int(text[:4]), int(text[6:]), 1)
    return pd.Period(text.replace("-Q", "Q")).start_time.normalize()


def by_calendar(
    daily: pd.DataFrame, grains: tuple[str, ...], reduce: Callable[[pd.Series], float], data_through: pd.Timestamp | None = None
) -> pd.DataFrame:
    """One row per grain, period and area from a daily series (`day`, `area`, `x`): `reduce` of the period's days.

    `data_through` is the source's last day (default: the series' last day); a period ending after it is incomplete.
    """
    if daily.empty:
        return pd.DataFrame(columns=PERIOD_COLUMNS)
    through = pd.Timestamp(data_through if data_through is not None else daily["day"].max()).normalize()
    frames = []
    for grain in grains:
        periods = calendar_periods(daily["day"], grain)
        grouped = daily.join(periods).groupby(["period", "period_start", "period_end", "area"], sort=True)["x"]
        rows = grouped.agg(reduce).rename("value").reset_index()
        rows["grain"] = grain
        rows["complete"] = rows["period_end"] <= through
        rows["order"] = rows["period_start"].map(pd.Timestamp.toordinal)
        rows["period_start"] = rows["period_start"].dt.date
        frames.append(rows[PERIOD_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def by_pandemic_week(daily: pd.DataFrame, reduce: Callable[[pd.DataFrame], float]) -> pd.DataFrame:
    """One row per pandemic week (days 0-6, 7-13, ...) from a series by pandemic day (`pandemic_day`, `area` and its
    values): `reduce` of the week's rows. A source shifted in time has no calendar: `period_start` is null."""
    if daily.empty:
        return pd.DataFrame(columns=PERIOD_COLUMNS)
    last_day = int(daily["pandemic_day"].max())
    week = (daily["pandemic_day"].astype(int) // 7) * 7
    rows = daily.assign(week=week).groupby(["week", "area"], sort=True).apply(reduce, include_groups=False)
    out = rows.rename("value").reset_index()
    out["grain"] = "pandemic_week"
    out["period"] = "pandemic days " + out["week"].astype(str) + "-" + (out["week"] + 6).astype(str)
    out["period_start"] = None
    out["complete"] = out["week"] + 6 <= last_day
    out["order"] = out["week"].astype(int)
    return out[PERIOD_COLUMNS]
