"""Environmental noise against GB 3096-2008: day and night equivalent levels per sensor and the limits of its zone. Pure.

Sound levels add as energy, not as numbers: the equivalent continuous level of hourly levels L_i is
10 log10(mean(10^(L_i / 10))) (two hours at 60 and 70 dB(A) give 67.4, not 65). Day is 06:00-22:00 and night
22:00-06:00 local time; a night belongs to the date it starts on. The limits by zone class are data
(`standards/gb3096_2008_noise_limits.csv`); at night the maximum level may exceed the night limit by at most
15 dB(A) (the standard's rule for sudden noise).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

DAY_START, NIGHT_START = 6, 22
STANDARD = "GB 3096-2008"


@dataclass(frozen=True)
class NoiseLimits:
    """One acoustic zone class's limits, dB(A)."""

    zone_class: str
    day_db: float
    night_db: float
    night_max_excess_db: float
    zone: str


@dataclass(frozen=True)
class NoiseParams:
    """How many hourly levels a period needs before its Leq is judged (continuous monitoring loses hours)."""

    min_day_hours: int = 12  # of 16
    min_night_hours: int = 6  # of 8

    def __post_init__(self) -> None:
        if not (1 <= self.min_day_hours <= 16 and 1 <= self.min_night_hours <= 8):
            raise ValueError(f"need 1 <= min_day_hours <= 16 and 1 <= min_night_hours <= 8, not {self}")


@lru_cache(maxsize=1)
def limits() -> dict[str, NoiseLimits]:
    """GB 3096-2008 Table 1 by zone class (0, 1, 2, 3, 4a, 4b), read from the repository's copy."""
    text = resources.files("pipelines.domains.environment").joinpath("standards/gb3096_2008_noise_limits.csv").read_text()
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {
        r["zone_class"]: NoiseLimits(
            r["zone_class"], float(r["day_limit_db"]), float(r["night_limit_db"]), float(r["night_max_excess_db"]), r["zone"]
        )
        for r in rows
    }


def energy_average(levels: np.ndarray | pd.Series) -> float:
    """The equivalent continuous level of equal-duration levels, dB: 10 log10 of the mean sound energy (NaN: none)."""
    values = np.asarray(levels, dtype=np.float64)
    values = values[np.isfinite(values)]
    return float(10 * np.log10(np.mean(10 ** (values / 10)))) if len(values) else np.nan


def periods(local_times: pd.Series) -> pd.DataFrame:
    """Each local time's period (`day`, `night`) and the date it counts for (a night: the date it started)."""
    hours = local_times.dt.hour
    night = (hours >= NIGHT_START) | (hours < DAY_START)
    date = (local_times - pd.to_timedelta(np.where(hours < DAY_START, 1, 0), unit="D")).dt.date
    return pd.DataFrame({"period": np.where(night, "night", "day"), "local_date": date}, index=local_times.index)


EXCEEDANCE_COLUMNS = [
    "sensor_id",
    "zone_class",
    "local_date",
    "period",
    "leq_db",
    "hours",
    "complete",
    "limit_db",
    "excess_db",
    "exceeded",
    "lmax_db",
    "lmax_limit_db",
    "lmax_exceeded",
    "standard",
]


def exceedances(levels: pd.DataFrame, timezone: str, params: NoiseParams = NoiseParams()) -> pd.DataFrame:
    """Per sensor, local date and period: Leq (Ld or Ln) from the hourly LAeq, the limit of the sensor's zone class,
    by how much it is exceeded (a period with too few hours is not judged: `complete` false, `exceeded` null); at
    night also the highest LAmax against limit + 15 dB(A).

    `levels`: sensor_id, zone_class, ts_utc (start of the hour), laeq_db, lmax_db (may be null)."""
    table = limits()
    unknown = sorted(set(levels["zone_class"].dropna()) - set(table))
    if unknown:
        raise ValueError(f"zone classes {unknown} are not in {STANDARD} (known: {', '.join(table)})")
    local = pd.to_datetime(levels["ts_utc"], utc=True).dt.tz_convert(timezone)
    rows = levels.join(periods(local))
    grouped = rows.groupby(["sensor_id", "zone_class", "local_date", "period"], sort=True)
    out = grouped.agg(
        leq_db=("laeq_db", energy_average),
        hours=("laeq_db", "count"),
        lmax_db=("lmax_db", "max"),
    ).reset_index()
    night = out["period"] == "night"
    needed = np.where(night, params.min_night_hours, params.min_day_hours)
    limit = np.where(night, out["zone_class"].map(lambda z: table[z].night_db), out["zone_class"].map(lambda z: table[z].day_db))
    lmax_limit = np.where(night, out["zone_class"].map(lambda z: table[z].night_db + table[z].night_max_excess_db), np.nan)
    complete = out["hours"] >= needed
    excess = (out["leq_db"] - limit).round(1)
    return out.assign(
        leq_db=out["leq_db"].round(1),
        complete=complete,
        limit_db=limit.astype(float),
        excess_db=excess,
        exceeded=pd.Series(excess > 0, dtype="boolean").where(complete, pd.NA),
        lmax_db=out["lmax_db"].where(night),
        lmax_limit_db=lmax_limit,
        lmax_exceeded=pd.Series(out["lmax_db"] > lmax_limit, dtype="boolean").where(night & out["lmax_db"].notna(), pd.NA),
        standard=STANDARD,
    )[EXCEEDANCE_COLUMNS]
