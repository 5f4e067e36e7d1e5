"""Unit conversion by a units library (pint): any dimensionally valid conversion to a column's canonical unit. Pure.

Units are written as departments write them: `ug/m3`, `m3/h`, `km/h`, `mph`, `kWh`, `MWh`, `GW`, `C`, `F`,
`%`, `veh/h`, `dB`. A conversion is affine (scale and offset, temperatures included), computed once per pair
and applied to whole arrays. A unit pint does not know, or one of another dimension, is refused with both
units and their dimensions named.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pint

# how departments write some units, in pint's words (pint reads "C" as coulomb and "F" as farad)
ALIASES = {"C": "degC", "F": "degF", "%": "percent", "fraction": "dimensionless", "deg": "degree", "veh": "vehicle"}
_POWER = re.compile(r"(?<=[A-Za-z])([23])\b")  # m3 -> m**3, km2 -> km**2


class UnitError(ValueError):
    """A unit that is unknown, or that cannot be expressed in the target unit."""


@lru_cache(maxsize=1)
def _registry() -> pint.UnitRegistry:
    preprocess = [lambda text: _POWER.sub(r"**\1", text)]
    registry: pint.UnitRegistry = pint.UnitRegistry(preprocessors=preprocess)
    registry.define("vehicle = [vehicle] = veh")  # traffic counts: veh/h, veh per interval
    return registry


def _pint_name(unit: str) -> str:
    return "/".join(ALIASES.get(part.strip(), part.strip()) for part in unit.split("/"))


def _units(unit: str) -> pint.Unit:
    try:
        return _registry().Unit(_pint_name(unit))
    except (pint.UndefinedUnitError, AttributeError, TypeError, ValueError, AssertionError) as exc:
        raise UnitError(f"unknown unit {unit!r}: {exc}") from None


def dimension(unit: str) -> str:
    """The physical dimension of a unit, as pint writes it ('[length] / [time]'; 'dimensionless')."""
    dims = _registry().get_dimensionality(_units(unit))
    return str(dims) if dims else "dimensionless"


@lru_cache(maxsize=256)
def _affine(source: str, target: str) -> tuple[float, float]:
    """(offset, scale) such that target = offset + scale * source."""
    registry = _registry()
    source_units, target_units = _units(source), _units(target)
    try:
        zero, one = registry.Quantity(np.array([0.0, 1.0]), source_units).to(target_units).magnitude
    except pint.DimensionalityError:
        raise UnitError(
            f"cannot convert {source!r} ({dimension(source)}) to {target!r} ({dimension(target)}): not the same dimension"
        ) from None
    return float(zero), float(one - zero)


def check_conversion(source: str, target: str) -> None:
    """Nothing when values in `source` can be expressed in `target`; else UnitError saying why."""
    if source != target:
        _affine(source, target)


def can_convert(source: str, target: str) -> bool:
    """Whether values in `source` units can be expressed in `target` units."""
    try:
        check_conversion(source, target)
    except UnitError:
        return False
    return True


def convert(values: np.ndarray, source: str, target: str) -> np.ndarray:
    """Values in `source` units, expressed in `target` units."""
    if source == target:
        return values
    offset, scale = _affine(source, target)
    result: np.ndarray = np.asarray(values, dtype="float64") * scale + offset
    return result
