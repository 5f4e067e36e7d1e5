"""What every forecaster of every domain is: fitted on the past, it forecasts every series from each origin."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Generic, Self, TypeVar

import numpy as np

Data = TypeVar("Data")


def carried_forward(values: np.ndarray) -> np.ndarray:
    """Each step's last known value at or before it, per column (causal: nothing from the future)."""
    import pandas as pd

    return pd.DataFrame(values).ffill().to_numpy(dtype=np.float64)


class Forecaster(ABC, Generic[Data]):
    """A model of a measure `horizon` steps after an origin, for every series at once (a domain's `Data`: traffic's
    panel, air quality's stations)."""

    name = "forecaster"
    learned = False

    def fit(self, data: Data, horizon: int) -> Self:
        """Learn from `data` (already cut at the training cutoff)."""
        return self

    @abstractmethod
    def predict(self, data: Data, origins: np.ndarray, horizon: int) -> np.ndarray:
        """Values at origin + horizon (len(origins) x series) from what is known up to each origin."""

    def state(self) -> dict[str, Any]:
        """What was learned, as arrays, plain values and estimators (what the registry stores)."""
        return {}

    def restore(self, state: dict[str, Any]) -> Self:
        """This (fresh) forecaster with a stored state."""
        return self

    @property
    def input_names(self) -> tuple[str, ...]:
        """The input features it was fitted on (none for baselines)."""
        return ()
