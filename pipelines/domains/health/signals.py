"""Outbreak signals on daily counts with the CDC's Early Aberration Reporting System (EARS) methods and a CUSUM. Pure.

For each day t with a count x_t:

- **C1**: the baseline is the mean and standard deviation of the 7 days before (t-7 .. t-1); C1 = (x_t - mean) / sd;
  a signal when C1 > 3.
- **C2**: the same with a guard band of 2 days (baseline t-9 .. t-3), so that a rise is not in its own baseline.
- **C3**: the sum over t, t-1, t-2 of max(0, C2 - 1); a signal when C3 > 2.
- **CUSUM**: on the C2 standardised values z_t, S_t = max(0, S_{t-1} + z_t - `cusum_k`); a signal when S_t > `cusum_h`
  (0.5 and 4 by default, the usual one-sided CUSUM to detect a one-standard-deviation shift); after a signal the sum
  starts again from 0.

The standard deviation has a floor (`min_sd`, 0.5 by default, as EARS implementations use) so that a flat baseline of
zeros does not make every single case a signal. Hutwagner et al. (2003), "The bioterrorism preparedness and response
Early Aberration Reporting System (EARS)", J Urban Health 80(2 Suppl 1):i89-96.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

METHODS = ("C1", "C2", "C3", "CUSUM")


@dataclass(frozen=True)
class SignalParams:
    """The methods' thresholds."""

    c1_threshold: float = 3.0
    c2_threshold: float = 3.0
    c3_threshold: float = 2.0
    cusum_k: float = 0.5
    cusum_h: float = 4.0
    min_sd: float = 0.5


def _standardised(counts: pd.Series, guard: int, params: SignalParams) -> pd.Series:
    baseline = counts.shift(1 + guard).rolling(7, min_periods=7)
    sd = baseline.std(ddof=1).clip(lower=params.min_sd)
    return (counts - baseline.mean()) / sd


def ears(counts: pd.Series, params: SignalParams | None = None) -> pd.DataFrame:
    """Per day: the count, C1, C2, C3 and CUSUM statistics and whether each signals (NaN before 7 (9) days of
    baseline). `counts`: one value per day, in day order, no gaps (a day without cases is 0)."""
    params = params or SignalParams()
    c1 = _standardised(counts, 0, params)
    c2 = _standardised(counts, 2, params)
    c3 = (c2 - 1).clip(lower=0).rolling(3, min_periods=3).sum()
    cusum = np.full(len(counts), np.nan)
    level = 0.0
    for i, z in enumerate(c2.to_numpy()):
        if np.isnan(z):
            continue
        level = max(0.0, level + z - params.cusum_k)
        cusum[i] = level
        if level > params.cusum_h:  # a signal: the sum starts afresh, so that one rise is not a month of signals
            level = 0.0
    out = pd.DataFrame({"count": counts, "c1": c1, "c2": c2, "c3": c3, "cusum": cusum}, index=counts.index)
    out["c1_signal"] = out["c1"] > params.c1_threshold
    out["c2_signal"] = out["c2"] > params.c2_threshold
    out["c3_signal"] = out["c3"] > params.c3_threshold
    out["cusum_signal"] = out["cusum"] > params.cusum_h
    return out
