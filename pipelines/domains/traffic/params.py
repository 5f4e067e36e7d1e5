"""Every knob of the traffic jobs in one typed object: defaults for a city, overridable from DAG params."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import pandas as pd

from pipelines.domains.traffic.alerts import AlertParams
from pipelines.domains.traffic.measures import get_measure
from pipelines.domains.traffic.models import MODELS
from pipelines.forecasting.backtest import BacktestPlan
from pipelines.forecasting.champions import ChampionRule


@dataclass(frozen=True)
class TrafficParams:
    """Which measure is forecast, how readings are gridded and filled, which models compete, when alerts fire."""

    timezone: str = "America/Los_Angeles"  # the city's local time: time of day and weekday are local
    measure: str = "speed_kmh"  # what is forecast: speed_kmh, volume_veh_h or occupancy_pct
    step: str | None = None  # the forecasting grid; None: the measure's native step (the most common among sensors)
    max_gap_min: int = 15  # interpolate at most 15 minutes of missing readings (whatever the step)
    horizons_min: tuple[int, ...] = (15, 30, 60)
    models: tuple[str, ...] = MODELS
    learned_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    plan: BacktestPlan = field(default_factory=BacktestPlan)
    factor_repeats: int = 3
    seed: int = 0
    sensors: tuple[str, ...] = ()  # empty: every sensor (a subset makes quick runs and tests)
    alerts: AlertParams = field(default_factory=AlertParams)
    champion_rule: ChampionRule = field(default_factory=ChampionRule)  # live switches and drift

    def __post_init__(self) -> None:
        unknown = sorted(set(self.models) - set(MODELS))
        if unknown:
            raise ValueError(f"unknown models {unknown}; known: {', '.join(MODELS)}")
        if "last_value" not in self.models or "historical_average" not in self.models:
            raise ValueError("the leaderboard needs the last_value and historical_average baselines to measure gains against")
        get_measure(self.measure)
        if self.max_gap_min < 0:
            raise ValueError(f"max_gap_min must be 0 or more, not {self.max_gap_min}")
        if self.step is not None:
            for minutes in self.horizons_min:
                if minutes <= 0 or pd.Timedelta(minutes=minutes) % self.step_delta:
                    raise ValueError(
                        f"horizon {minutes} min is not a positive multiple of the {self.step} step of {self.measure}: "
                        "set horizons_min"
                    )

    def on_step(self, step: pd.Timedelta) -> "TrafficParams":
        """These parameters on the readings' step (the native one when none is set); horizons are checked against it."""
        return replace(self, step=self.step or f"{int(step / pd.Timedelta(minutes=1))}min")

    @property
    def step_delta(self) -> pd.Timedelta:
        if self.step is None:
            raise ValueError("the step is the readings' native one: resolve it with on_step() first")
        return pd.Timedelta(self.step)

    @property
    def max_gap(self) -> pd.Timedelta:
        return pd.Timedelta(minutes=self.max_gap_min)

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
        if "champion_rule" in values:
            values["champion_rule"] = ChampionRule(**values["champion_rule"])
        for name in ("horizons_min", "models", "sensors"):
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)

    def to_json(self) -> str:
        """Canonical JSON, recorded with every training run."""
        return json.dumps(asdict(self), sort_keys=True)
