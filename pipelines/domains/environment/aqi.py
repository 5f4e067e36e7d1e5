"""Air Quality Index per China's HJ 633-2012, with data validity per GB 3095-2012. Pure arithmetic.

Choices where the standard leaves room (also in docs/marts.md):
- IAQI is interpolated linearly inside the breakpoint segment and rounded up to a whole number.
- Concentrations above the top breakpoint get IAQI 500 (the scale's end), except SO2 1-hour values
  above 800 ug/m3 (the SO2 index then comes from its 24-hour mean, per note 2 of Table 1) and O3
  8-hour values above 800 ug/m3 (no 8-hour index; the O3 1-hour index stands, per note 3).
- The hourly index uses the 1-hour breakpoints for SO2, NO2, CO and O3, the 8-hour breakpoints for the
  O3 8-hour moving mean, and for PM2.5 and PM10 (which have no 1-hour breakpoints) the 24-hour
  breakpoints applied to the 24-hour moving mean ending at that hour, as China's real-time reports do.
- A mean is valid with enough valid hours: 24-hour means need 20 (GB 3095-2012 Table 4), 8-hour means
  need 6, the daily O3 maximum 8-hour mean needs 14 valid 8-hour means from the windows ending at
  local hours 08..24 of the day, and the daily O3 maximum 1-hour value needs 20 valid hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

IAQI_LEVELS = (0, 50, 100, 150, 200, 300, 400, 500)


@dataclass(frozen=True)
class Breakpoints:
    """Concentration breakpoints of one pollutant and averaging period (Table 1 of HJ 633-2012)."""

    name: str
    pollutant: str
    concentrations: tuple[float, ...]
    unit: str
    # above this concentration the index is not computed from this table (None: cap at IAQI 500)
    not_applicable_above: float | None = None

    def iaqi(self, concentration: np.ndarray | pd.Series | float) -> np.ndarray:
        """The individual index (whole numbers as float, NaN where missing or not applicable)."""
        values = np.asarray(concentration, dtype="float64")
        levels = np.asarray(IAQI_LEVELS[: len(self.concentrations)], dtype="float64")
        raw = np.interp(values, np.asarray(self.concentrations, dtype="float64"), levels)
        result = np.ceil(np.round(raw, 9))
        invalid = np.isnan(values) | (values < 0)
        if self.not_applicable_above is not None:
            invalid |= values > self.not_applicable_above
        return np.where(invalid, np.nan, result)


PM25_24H = Breakpoints("PM2.5 24h", "PM2.5", (0, 35, 75, 115, 150, 250, 350, 500), "ug/m3")
PM10_24H = Breakpoints("PM10 24h", "PM10", (0, 50, 150, 250, 350, 420, 500, 600), "ug/m3")
SO2_24H = Breakpoints("SO2 24h", "SO2", (0, 50, 150, 475, 800, 1600, 2100, 2620), "ug/m3")
SO2_1H = Breakpoints("SO2 1h", "SO2", (0, 150, 500, 650, 800), "ug/m3", not_applicable_above=800)
NO2_24H = Breakpoints("NO2 24h", "NO2", (0, 40, 80, 180, 280, 565, 750, 940), "ug/m3")
NO2_1H = Breakpoints("NO2 1h", "NO2", (0, 100, 200, 700, 1200, 2340, 3090, 3840), "ug/m3")
CO_24H = Breakpoints("CO 24h", "CO", (0, 2, 4, 14, 24, 36, 48, 60), "mg/m3")
CO_1H = Breakpoints("CO 1h", "CO", (0, 5, 10, 35, 60, 90, 120, 150), "mg/m3")
O3_1H = Breakpoints("O3 1h", "O3", (0, 160, 200, 300, 400, 800, 1000, 1200), "ug/m3")
O3_8H = Breakpoints("O3 8h", "O3", (0, 100, 160, 215, 265, 800), "ug/m3", not_applicable_above=800)

# (lowest AQI of the category, level, category) — HJ 633-2012 Table 2
CATEGORIES = (
    (0, 1, "Excellent"),
    (51, 2, "Good"),
    (101, 3, "Lightly polluted"),
    (151, 4, "Moderately polluted"),
    (201, 5, "Heavily polluted"),
    (301, 6, "Severely polluted"),
)
HEAVILY_POLLUTED_MIN_AQI = 201
PRIMARY_POLLUTANT_MIN_AQI = 51

VALID_HOURS_24H = 20
VALID_HOURS_8H = 6
VALID_8H_MEANS_PER_DAY = 14
VALID_HOURS_DAILY_O3_1H = 20


def so2_hourly_iaqi(so2_1h: np.ndarray | pd.Series, so2_24h_mean: np.ndarray | pd.Series) -> np.ndarray:
    """SO2 hourly index: from the 1-hour value, or from the 24-hour mean when the 1-hour value exceeds 800."""
    one_hour = np.asarray(so2_1h, dtype="float64")
    from_daily = SO2_24H.iaqi(so2_24h_mean)
    return np.where(one_hour > SO2_1H.not_applicable_above, from_daily, SO2_1H.iaqi(one_hour))


def combine(iaqis: pd.DataFrame, pollutant_of: dict[str, str]) -> pd.DataFrame:
    """AQI (max IAQI), primary pollutant(s) when AQI > 50, level and category, from IAQI columns."""
    aqi = iaqis.max(axis=1, skipna=True)
    values = iaqis.to_numpy()
    names = [pollutant_of[c] for c in iaqis.columns]
    primaries: list[str | None] = []
    for row, top in zip(values, aqi.to_numpy()):
        if np.isnan(top) or top < PRIMARY_POLLUTANT_MIN_AQI:
            primaries.append(None)
            continue
        chosen = sorted({n for n, v in zip(names, row) if v == top}, key=names.index)
        primaries.append(",".join(chosen))
    level, category = categorize(aqi)
    return pd.DataFrame(
        {
            "aqi": aqi.astype("Int16"),
            "primary_pollutants": pd.Series(primaries, index=iaqis.index, dtype="object"),
            "aqi_level": level,
            "aqi_category": category,
            "iaqi_count": iaqis.notna().sum(axis=1).astype("int8"),
        },
        index=iaqis.index,
    )


def categorize(aqi: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Level (1..6) and category name of each AQI value (missing stays missing)."""
    lows = np.array([c[0] for c in CATEGORIES])
    position = np.searchsorted(lows, aqi.to_numpy(dtype="float64", na_value=np.nan), side="right") - 1
    missing = aqi.isna().to_numpy()
    level = pd.Series(np.where(missing, pd.NA, position + 1), index=aqi.index, dtype="Int8")
    names = np.array([c[2] for c in CATEGORIES], dtype=object)
    category = pd.Series(np.where(missing, None, names[np.clip(position, 0, len(names) - 1)]), index=aqi.index, dtype="object")
    return level, category
