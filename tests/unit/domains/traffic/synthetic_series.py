"""A small seeded panel with a daily rush hour, for the traffic unit tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.domains.traffic.features import SeriesData
from pipelines.domains.traffic.network import Network
from pipelines.domains.traffic.panel import Panel

STEP = pd.Timedelta("5min")


def rush_hour_panel(days: int = 3, sensors: int = 4, seed: int = 7) -> Panel:
    """Free flow at 100 km/h with a dip to ~40 km/h around 17:00 local, plus noise."""
    rng = np.random.default_rng(seed)
    times = pd.date_range("2012-03-01 08:00", periods=days * 288, freq=STEP, tz="UTC")  # 00:00 in Los Angeles
    hours = (np.arange(len(times)) % 288) / 12
    dip = 60 * np.exp(-((hours - 17) ** 2) / 2)
    speed = 100 - dip[:, None] + rng.normal(0, 3, (len(times), sensors))
    return Panel(times, tuple(f"s{i}" for i in range(sensors)), speed, np.ones_like(speed, dtype=bool), STEP)


def chain_network(sensors: int) -> Network:
    """Sensors on one road, each feeding the next."""
    weights = np.zeros((sensors, sensors))
    for i in range(sensors - 1):
        weights[i, i + 1] = 0.8
    return Network(weights)


def series(days: int = 3, sensors: int = 4) -> SeriesData:
    return SeriesData.from_panel(rush_hour_panel(days, sensors), chain_network(sensors), "America/Los_Angeles")
