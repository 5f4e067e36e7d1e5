"""Daily load profiles of metered energy (electricity, heat, gas as power), with gaps and meter copies flagged. Pure.

Readings come long: meter_id, utility, ts_utc, power_kw and the measures a copy must repeat (`measure_0`, ...; what
`loads.Load.long` makes of any declared dataset).

A **meter copy** is a stretch of readings equal, in every measure, to those exactly one day earlier: how gaps are
filled by copying (the UCI household file has one of two and a half days, and shorter ones). A run of at least
`min_copy_readings` such readings is flagged; a day with a copied or missing stretch is not `usable`, so that
forecasts do not learn from it.

Per meter, utility and local day: energy, peak and its local time, base load (a low quantile of the day's power),
mean load, load factor (mean / peak), weekday or weekend, and how many readings were expected, missing and copied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

PROFILE_COLUMNS = [
    "meter_id",
    "utility",
    "local_date",
    "day_type",
    "readings",
    "missing_readings",
    "copied_readings",
    "energy_kwh",
    "peak_kw",
    "peak_time_local",
    "base_load_kw",
    "mean_kw",
    "load_factor",
    "quality",
    "usable",
]


@dataclass(frozen=True)
class LoadParams:
    """How readings become daily profiles: the meters' local time zone, the reading interval (None: each meter's most
    common step), what counts as a copy."""

    timezone: str  # the civil zone of the meters' days: the feeds' declaration (`meters.build` reads it)
    interval: str | None = None
    min_copy_readings: int = 15
    base_quantile: float = 0.1
    max_missing_share: float = 0.05  # a day missing more is not usable

    def __post_init__(self) -> None:
        if self.min_copy_readings < 2 or not 0 <= self.base_quantile < 0.5 or not 0 <= self.max_missing_share < 1:
            raise ValueError(f"need min_copy_readings >= 2, 0 <= base_quantile < 0.5, 0 <= max_missing_share < 1: {self}")


def reading_interval(times: pd.Series, declared: str | None = None) -> pd.Timedelta:
    """The declared interval, else the most common step between a meter's consecutive readings (one reading: 1 h)."""
    if declared:
        return pd.Timedelta(declared)
    steps = times.sort_values().diff().dropna()
    steps = steps[steps > pd.Timedelta(0)]
    return pd.Timedelta(steps.mode().iloc[0]) if len(steps) else pd.Timedelta(hours=1)


def measure_columns(readings: pd.DataFrame) -> list[str]:
    """The measures a copy repeats: the `measure_<i>` columns, else the power."""
    return [c for c in readings.columns if c.startswith("measure_")] or ["power_kw"]


def copied(readings: pd.DataFrame, params: LoadParams) -> pd.Series:
    """Per reading (one meter, sorted by ts_utc): part of a run of >= min_copy_readings readings equal in every
    measure to the reading exactly one day earlier, and not flat (a heating meter reading 0 all summer, or any
    constant, repeats the day before without being copied)."""
    present = measure_columns(readings)
    earlier = readings[["ts_utc", *present]].assign(ts_utc=readings["ts_utc"] + pd.Timedelta(days=1))
    joined = readings[["ts_utc", *present]].merge(earlier, on="ts_utc", how="left", suffixes=("", "_day_before"))
    same = np.ones(len(joined), dtype=bool)
    for m in present:
        same &= (joined[m] == joined[f"{m}_day_before"]).to_numpy()
    step = reading_interval(readings["ts_utc"], params.interval)
    consecutive = np.r_[False, np.diff(readings["ts_utc"].to_numpy()) == step.to_timedelta64()]
    run_id = np.cumsum(~same | ~consecutive)  # a new run starts at each non-copy or time jump
    lengths = pd.Series(same).groupby(run_id).transform("sum").to_numpy()
    distinct = joined[present[0]].where(same).groupby(run_id).transform("nunique").to_numpy()
    return pd.Series(same & (lengths >= params.min_copy_readings) & (distinct > 1), index=readings.index)


def expected_readings(dates: pd.Series, timezone: str, step: pd.Timedelta) -> pd.Series:
    """Readings a whole local day holds at the interval (a day of a clock change has 23 or 25 hours)."""

    def midnight(days: pd.Series) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(days).tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")

    length = midnight(dates + pd.Timedelta(days=1)) - midnight(dates)
    return pd.Series(np.asarray(length / step, dtype=np.int64), index=dates.index)


def daily_profiles(readings: pd.DataFrame, params: LoadParams) -> pd.DataFrame:
    """The profiles of one or more meters' readings (meter_id, utility, ts_utc, power_kw, measure_<i>)."""
    frames = []
    ordered = readings.sort_values(["meter_id", "utility", "ts_utc"])
    for (meter, utility), rows in ordered.groupby(["meter_id", "utility"], sort=True):
        rows = rows.reset_index(drop=True)
        step = reading_interval(rows["ts_utc"], params.interval)
        per_day = int(pd.Timedelta(days=1) / step)
        local = rows["ts_utc"].dt.tz_convert(params.timezone)
        rows = rows.assign(copied=copied(rows, params), local_date=local.dt.date, local_time=local.dt.strftime("%H:%M"))
        grouped = rows.groupby("local_date", sort=True)
        power = grouped["power_kw"]
        peak_at = rows.loc[power.idxmax().dropna().astype(int), ["local_date", "local_time"]].set_index("local_date")
        day = pd.DataFrame(
            {
                "readings": power.count(),  # a row without a power reading (the UCI file's "?") is missing
                "copied_readings": grouped["copied"].sum(),
                "energy_kwh": power.sum() * (step / pd.Timedelta(hours=1)),
                "peak_kw": power.max(),
                "base_load_kw": power.quantile(params.base_quantile),
                "mean_kw": power.mean(),
            }
        ).join(peak_at.rename(columns={"local_time": "peak_time_local"}))
        dates = pd.Series(pd.to_datetime(day.index), index=day.index)
        expected = expected_readings(dates, params.timezone, step)
        missing = (expected - day["readings"]).clip(lower=0)
        quality = np.where(day["copied_readings"] > 0, "copied", np.where(missing > 0, "gaps", "ok"))
        frames.append(
            day.assign(
                meter_id=meter,
                utility=utility,
                local_date=day.index,
                day_type=np.where(dates.dt.dayofweek >= 5, "weekend", "weekday"),
                missing_readings=missing.astype(int),
                load_factor=(day["mean_kw"] / day["peak_kw"]).where(day["peak_kw"] > 0),
                quality=quality,
                usable=(day["copied_readings"] == 0) & (missing <= params.max_missing_share * per_day),
            )
        )
    if not frames:
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    return out.assign(readings=out["readings"].astype(int), copied_readings=out["copied_readings"].astype(int))[PROFILE_COLUMNS]
