"""Unit conversion by a units library (pint): any dimensionally valid conversion to a column's canonical unit. Pure.

Units are written as departments write them: `ug/m3`, `m3/h`, `km/h`, `mph`, `kWh`, `MWh`, `GW`, `C`, `F`,
`%`, `veh/h`, `dB`, and counts per interval as `veh/15min` (a count over 15 minutes: 4 x as many per hour).
A conversion is affine (scale and offset, temperatures included), computed once per pair
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
_PER_INTERVAL = re.compile(r"^(?P<per>.+)/\s*\(?\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<interval>[A-Za-z]+)\s*\)?\s*$")  # veh/15min


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


def _scaled(unit: str) -> tuple[pint.Unit, float]:
    """A unit and the factor its values carry: 'veh/15min' is (vehicle / minute, 1/15), 'km/h' is (km / h, 1)."""
    interval = _PER_INTERVAL.match(unit)
    try:
        if interval:
            base = _registry().Unit(_pint_name(f"{interval['per']}/{interval['interval']}"))
            return base, 1 / float(interval["n"])
        return _registry().Unit(_pint_name(unit)), 1.0
    except (pint.UndefinedUnitError, AttributeError, TypeError, ValueError, AssertionError) as exc:
        raise UnitError(f"unknown unit {unit!r}: {exc}") from None


def _units(unit: str) -> pint.Unit:
    return _scaled(unit)[0]


def dimension(unit: str) -> str:
    """The physical dimension of a unit, as pint writes it ('[length] / [time]'; 'dimensionless')."""
    dims = _registry().get_dimensionality(_units(unit))
    return str(dims) if dims else "dimensionless"


@lru_cache(maxsize=256)
def _affine(source: str, target: str) -> tuple[float, float]:
    """(offset, scale) such that target = offset + scale * source."""
    registry = _registry()
    (source_units, source_factor), (target_units, target_factor) = _scaled(source), _scaled(target)
    try:
        zero, one = registry.Quantity(np.array([0.0, source_factor]), source_units).to(target_units).magnitude / target_factor
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
