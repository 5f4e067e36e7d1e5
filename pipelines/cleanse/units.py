"""Unit conversion: every source unit to the canonical unit of its column. Pure."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Converter = Callable[[np.ndarray], np.ndarray]


def _scale(factor: float) -> Converter:
    return lambda values: values * factor


# (from, to) -> function; identity pairs are implicit
CONVERSIONS: dict[tuple[str, str], Converter] = {
    ("mph", "km/h"): _scale(1.609344),
    ("km/h", "mph"): _scale(1 / 1.609344),
    ("m/s", "km/h"): _scale(3.6),
    ("km/h", "m/s"): _scale(1 / 3.6),
    ("ug/m3", "mg/m3"): _scale(0.001),
    ("mg/m3", "ug/m3"): _scale(1000.0),
    ("F", "C"): lambda values: (values - 32.0) * 5.0 / 9.0,
    ("C", "F"): lambda values: values * 9.0 / 5.0 + 32.0,
    ("K", "C"): lambda values: values - 273.15,
    ("Wh", "kWh"): _scale(0.001),
    ("kWh", "Wh"): _scale(1000.0),
    ("MWh", "kWh"): _scale(1000.0),
    ("W", "kW"): _scale(0.001),
    ("kW", "W"): _scale(1000.0),
    ("m3/h", "l/s"): _scale(1000.0 / 3600.0),
    ("l/min", "l/s"): _scale(1 / 60.0),
    ("kPa", "hPa"): _scale(10.0),
    ("Pa", "hPa"): _scale(0.01),
    ("in", "mm"): _scale(25.4),
    ("%", "fraction"): _scale(0.01),
}


class UnitError(ValueError):
    """No conversion is known between two units."""


def can_convert(source: str, target: str) -> bool:
    """Whether values in `source` units can be expressed in `target` units."""
    return source == target or (source, target) in CONVERSIONS


def convert(values: np.ndarray, source: str, target: str) -> np.ndarray:
    """Values in `source` units, expressed in `target` units."""
    if source == target:
        return values
    try:
        return CONVERSIONS[(source, target)](np.asarray(values, dtype="float64"))
    except KeyError:
        known = ", ".join(f"{a}->{b}" for a, b in sorted(CONVERSIONS))
        raise UnitError(f"no conversion from {source!r} to {target!r}; known: {known}") from None
