"""Surface water quality classes by GB 3838-2002: per station and day, the class and the parameters that limit it. Pure.

Each parameter's class is the best class (I best, V worst) whose limit its daily mean meets: dissolved oxygen at
least the limit, the others at most; beyond class V it is "worse than V" (class 6). The station-day's class is its
worst parameter's, and the parameters of that class are named as limiting. Total phosphorus is judged by the lake
and reservoir limits for a station on a lake. The limits are data (`standards/gb3838_2002_surface_water.csv`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

STANDARD = "GB 3838-2002"
CLASS_NAMES = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "worse than V"}
WATER_BODIES = ("river", "lake")


@dataclass(frozen=True)
class ParameterLimits:
    """One parameter's limits for classes I-V (mg/L) and which side of them is good."""

    parameter: str
    water_body: str  # river, lake or any
    bound: str  # min: at least the limit; max: at most
    limits: tuple[float, float, float, float, float]
    name: str


@lru_cache(maxsize=1)
def standard() -> tuple[ParameterLimits, ...]:
    """GB 3838-2002 Table 1 (the basic items CityLake judges), read from the repository's copy."""
    text = resources.files("pipelines.domains.environment").joinpath("standards/gb3838_2002_surface_water.csv").read_text()
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return tuple(
        ParameterLimits(
            r["parameter"],
            r["water_body"],
            r["bound"],
            (float(r["class_1"]), float(r["class_2"]), float(r["class_3"]), float(r["class_4"]), float(r["class_5"])),
            r["name"],
        )
        for r in rows
    )


def parameters() -> tuple[str, ...]:
    """The parameters the standard here judges, in its order."""
    return tuple(dict.fromkeys(p.parameter for p in standard()))


def limits_for(parameter: str, water_body: str) -> ParameterLimits:
    """A parameter's limits for a river or a lake (its own row for the body, else the row for any)."""
    if water_body not in WATER_BODIES:
        raise ValueError(f"water_body must be one of {WATER_BODIES}, not {water_body!r}")
    rows = [p for p in standard() if p.parameter == parameter]
    if not rows:
        raise ValueError(f"{parameter} has no limits in {STANDARD} here (known: {', '.join(parameters())})")
    own = [p for p in rows if p.water_body == water_body]
    return own[0] if own else next(p for p in rows if p.water_body == "any")


def parameter_class(values: np.ndarray, limit: ParameterLimits) -> np.ndarray:
    """Each value's class, 1-5, or 6 beyond class V; 0 where the value is missing."""
    values = np.asarray(values, dtype=np.float64)
    bounds = np.asarray(limit.limits)
    meets = values[:, None] >= bounds[None, :] if limit.bound == "min" else values[:, None] <= bounds[None, :]
    best = np.where(meets.any(axis=1), meets.argmax(axis=1) + 1, 6)
    return np.where(np.isfinite(values), best, 0)


CLASS_COLUMNS = ["class_code", "class_name", "limiting_parameters", "parameters_judged"]


def classify(daily: pd.DataFrame) -> pd.DataFrame:
    """The class of each row (a station-day of daily means, with `water_body`): the worst of its parameters' classes,
    the parameters at that class (comma separated, in the standard's order), and how many parameters had a value.
    A row with no parameter at all gets no class (0, null name)."""
    names = [p for p in parameters() if p in daily.columns]
    classes = np.zeros((len(daily), len(names)), dtype=np.int64)
    for j, parameter in enumerate(names):
        for body in WATER_BODIES:
            here = (daily["water_body"] == body).to_numpy()
            if here.any():
                classes[here, j] = parameter_class(daily.loc[here, parameter].to_numpy(), limits_for(parameter, body))
    worst = classes.max(axis=1) if names else np.zeros(len(daily), dtype=np.int64)
    limiting = [",".join(n for n, c in zip(names, row) if c == w and w > 0) or None for row, w in zip(classes, worst)]
    return pd.DataFrame(
        {
            "class_code": worst.astype("int8"),
            "class_name": [CLASS_NAMES.get(int(w)) for w in worst],
            "limiting_parameters": limiting,
            "parameters_judged": (classes > 0).sum(axis=1).astype("int8"),
        },
        index=daily.index,
    )
