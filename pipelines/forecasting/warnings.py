"""How good early warnings are, measured where the truth is known (held-back days, or live): the same rule applied
to the forecasts (the warnings) and to what was measured (the events). Pure.

Precision is the share of warnings whose event came; recall the share of events warned of beforehand; the lead time
is how long before the event the earliest warning that hit was raised. Warnings on the point forecast and those on
the prediction interval (watches) are scored apart and together, so that what the interval adds is visible.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SKILL_COLUMNS = ["basis", "events", "warned", "hits", "precision", "recall", "median_lead_min"]


def warning_skill(warnings: pd.DataFrame, events: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Per basis (`point`, then `point or interval`): events, warnings, hits, precision, recall and the median lead
    time of the hits. `warnings`: one row per `key` (series, target time) with `basis` and `lead_time_min`; `events`:
    the `key`s where the rule held on the measured values."""
    happened = set(map(tuple, events[key].astype(str).to_numpy())) if len(events) else set()
    rows = []
    for basis, chosen in (("point", warnings[warnings["basis"] == "point"]), ("point or interval", warnings)):
        hit = np.array([tuple(k) in happened for k in chosen[key].astype(str).to_numpy()], dtype=bool)
        hits = int(hit.sum())
        rows.append(
            {
                "basis": basis,
                "events": len(happened),
                "warned": len(chosen),
                "hits": hits,
                "precision": hits / len(chosen) if len(chosen) else np.nan,
                "recall": hits / len(happened) if happened else np.nan,
                "median_lead_min": float(chosen.loc[hit, "lead_time_min"].median()) if hits else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=SKILL_COLUMNS)
