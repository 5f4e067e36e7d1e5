"""Seeded hourly flow series with planted anomalies whose times are known, clearly labelled SYNTHETIC.

A supply pipe's flow: a level, a daily cycle (morning and evening demand), noise; then drops (losses or
maintenance: the flow falls to a fraction for hours), spikes (pumping: a few percent up for an hour or three) and
drifts (a slow leak: the level sinks over a day or two, then is repaired). Used by the tests and by
`benchmarks/water_anomalies.py` to measure the detectors' event-level precision and recall.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KINDS = ("drop", "spike", "drift")


def flow_with_anomalies(seed: int, days: int = 60, events: int = 4) -> tuple[pd.Series, pd.DataFrame]:
    """A SYNTHETIC hourly flow (l/s) and its planted events (start_utc, end_utc exclusive, kind)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2022-03-01", periods=24 * days, freq="1h", tz="UTC")
    hour = index.hour.to_numpy()
    level = rng.uniform(60, 140)
    cycle = 1 + 0.04 * np.sin(2 * np.pi * (hour - 7) / 24) + 0.03 * np.sin(4 * np.pi * (hour - 19) / 24)
    values = level * cycle * (1 + rng.normal(0, 0.012, len(index)))
    planted: list[dict[str, object]] = []
    taken = np.zeros(len(index), dtype=bool)
    while len(planted) < events:
        kind = KINDS[len(planted) % len(KINDS)]
        length = {"drop": int(rng.integers(4, 20)), "spike": int(rng.integers(1, 4)), "drift": int(rng.integers(24, 49))}[kind]
        start = int(rng.integers(24 * 8, len(index) - length - 24 * 2))  # a week of normal flow before the first
        if taken[max(0, start - 48) : start + length + 48].any():
            continue
        span = slice(start, start + length)
        if kind == "drop":
            values[span] *= rng.uniform(0.2, 0.5)
        elif kind == "spike":
            values[span] *= rng.uniform(1.05, 1.12)
        else:
            values[span] *= 1 - np.linspace(0, rng.uniform(0.06, 0.15), length)
        taken[span] = True
        planted.append({"start_utc": index[start], "end_utc": index[start] + pd.Timedelta(hours=length), "kind": kind})
    events_frame = pd.DataFrame(planted).sort_values("start_utc").reset_index(drop=True)
    return pd.Series(np.round(values, 2), index=index, name="flow_l_s"), events_frame
