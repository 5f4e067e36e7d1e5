"""Every knob of the traffic jobs in one typed object: defaults for a city, overridable from DAG params."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import pandas as pd

from pipelines.domains.traffic.alerts import AlertParams
from pipelines.domains.traffic.backtest import BacktestPlan
from pipelines.domains.traffic.models import MODELS


@dataclass(frozen=True)
class TrafficParams:
    """How readings are gridded and filled, which models compete, how they are scored, when alerts fire."""

    timezone: str = "America/Los_Angeles"  # the city's local time: time of day and weekday are local
    step: str = "5min"
    max_gap_steps: int = 3  # interpolate at most 15 minutes of missing readings
    horizons_min: tuple[int, ...] = (15, 30, 60)
    models: tuple[str, ...] = MODELS
    learned_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    plan: BacktestPlan = field(default_factory=BacktestPlan)
    factor_repeats: int = 3
    seed: int = 0
    sensors: tuple[str, ...] = ()  # empty: every sensor (a subset makes quick runs and tests)
    alerts: AlertParams = field(default_factory=AlertParams)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.models) - set(MODELS))
        if unknown:
            raise ValueError(f"unknown models {unknown}; known: {', '.join(MODELS)}")
        if "last_value" not in self.models or "historical_average" not in self.models:
            raise ValueError("the leaderboard needs the last_value and historical_average baselines to measure gains against")
        for minutes in self.horizons_min:
            if minutes <= 0 or pd.Timedelta(minutes=minutes) % self.step_delta:
                raise ValueError(f"horizon {minutes} min is not a positive multiple of the {self.step} step")

    @property
    def step_delta(self) -> pd.Timedelta:
        return pd.Timedelta(self.step)

    @property
    def step_minutes(self) -> int:
        return int(self.step_delta / pd.Timedelta(minutes=1))

    def horizon_steps(self, minutes: int) -> int:
        """A horizon in minutes as a number of steps."""
        return minutes // self.step_minutes

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> "TrafficParams":
        """Params from plain JSON (DAG params, run records); unknown keys are an error."""
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown traffic parameters {unknown}; known: {', '.join(sorted(known))}")
        if "plan" in values:
            values["plan"] = BacktestPlan(**values["plan"])
        if "alerts" in values:
            values["alerts"] = AlertParams(**values["alerts"])
        for name in ("horizons_min", "models", "sensors"):
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)

    def to_json(self) -> str:
        """Canonical JSON, recorded with every training run."""
        return json.dumps(asdict(self), sort_keys=True)
