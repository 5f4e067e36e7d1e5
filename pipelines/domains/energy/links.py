"""Utilities that move together: correlations of each pair of utilities and of each with temperature, with lags and
confidence intervals; and a utility's use against heating degree-days. Pure.

Pearson's r at each lag (the second series shifted by `lag` steps: a positive lag means the second follows the
first), with a 95 % interval from Fisher's z on an **effective** sample size: neighbouring hours are not
independent, so n is discounted by the two series' lag-1 autocorrelations, n (1 - a b) / (1 + a b) (Bartlett), and
the interval is honest rather than needle-thin. For each pair the lag-0 row and the row of the lag with the largest
|r| are reported.

Degree-days: a billing period's heating degree-days are its days x max(0, base - mean temperature); the slope of
daily use on daily degree-days is the use per degree-day, the intercept the use that does not depend on heating.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

LINK_COLUMNS = ["series_a", "series_b", "lag_steps", "r", "ci_low", "ci_high", "n", "n_effective", "slope", "intercept", "kind"]
Z95 = 1.959963984540054


def lag1(values: np.ndarray) -> float:
    """The lag-1 autocorrelation (0 when it cannot be computed)."""
    x = values[np.isfinite(values)]
    if len(x) < 3 or np.std(x[:-1]) == 0 or np.std(x[1:]) == 0:
        return 0.0
    return float(np.corrcoef(x[:-1], x[1:])[0, 1])


def pearson(a: np.ndarray, b: np.ndarray, autocorrelation: tuple[float, float] = (0.0, 0.0)) -> dict[str, float]:
    """r, its 95 % interval on the effective sample size, n, the effective n, and the least-squares line b = s a + c."""
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    n = len(a)
    if n < 4 or np.std(a) == 0 or np.std(b) == 0:
        return {
            "r": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "n": n,
            "n_effective": np.nan,
            "slope": np.nan,
            "intercept": np.nan,
        }
    r = float(np.corrcoef(a, b)[0, 1])
    ra, rb = autocorrelation
    n_eff = float(np.clip(n * (1 - ra * rb) / (1 + ra * rb), 4, n))
    z, se = np.arctanh(np.clip(r, -0.999999, 0.999999)), 1 / np.sqrt(n_eff - 3)
    slope, intercept = np.polyfit(a, b, 1)
    return {
        "r": r,
        "ci_low": float(np.tanh(z - Z95 * se)),
        "ci_high": float(np.tanh(z + Z95 * se)),
        "n": n,
        "n_effective": n_eff,
        "slope": float(slope),
        "intercept": float(intercept),
    }


def pair_links(frame: pd.DataFrame, columns: list[str], max_lag: int) -> pd.DataFrame:
    """For each pair of `columns` of a regular series (rows in time order): the lag-0 row and the strongest lag's row
    (`kind` lag0 / best_lag; the same lag can be both)."""
    rows = []
    autocorrelations = {c: lag1(frame[c].to_numpy(float)) for c in columns}
    for a_name, b_name in combinations(columns, 2):
        a, b = frame[a_name].to_numpy(float), frame[b_name].to_numpy(float)
        found = {}
        for lag in range(-max_lag, max_lag + 1):
            shifted_b = np.roll(b, -lag).astype(float)
            if lag > 0:
                shifted_b[-lag:] = np.nan
            elif lag < 0:
                shifted_b[:-lag] = np.nan
            found[lag] = pearson(a, shifted_b, (autocorrelations[a_name], autocorrelations[b_name]))
        best = max(found, key=lambda lag: (abs(found[lag]["r"]) if np.isfinite(found[lag]["r"]) else -1, -abs(lag)))
        for kind, lag in (("lag0", 0), ("best_lag", best)):
            rows.append({"series_a": a_name, "series_b": b_name, "lag_steps": lag, **found[lag], "kind": kind})
    return pd.DataFrame(rows, columns=LINK_COLUMNS)


def heating_degree_days(mean_temp_c: pd.Series, days: pd.Series, base_c: float = 18.0) -> pd.Series:
    """A period's heating degree-days: its days x max(0, base - its mean temperature)."""
    return days * np.clip(base_c - mean_temp_c, 0, None)


def degree_day_link(use_per_day: pd.Series, mean_temp_c: pd.Series, base_c: float = 18.0) -> dict[str, float]:
    """Daily use against daily heating degree-days (periods as rows): r with its interval, use per degree-day (slope)
    and the use independent of heating (intercept)."""
    hdd_per_day = np.clip(base_c - mean_temp_c.to_numpy(float), 0, None)
    use = use_per_day.to_numpy(float)
    return pearson(hdd_per_day, use, (lag1(hdd_per_day), lag1(use)))  # consecutive bills are not independent
