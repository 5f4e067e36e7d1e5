"""Coordinates to WGS84: any EPSG system by pyproj, and China's GCJ-02 ("Mars coordinates") and BD-09 (Baidu),
which no EPSG code describes. Pure, vectorized.

A projected system (UTM, a state plane, a national grid) gives x (easting) and y (northing): a feed maps y to
`latitude` and x to `longitude`, and the result is WGS84 degrees.

GCJ-02 is WGS84 plus a published obfuscation offset; the inverse has no closed form, so it is solved by
fixed-point iteration (a few iterations reach < 1e-7 degree, about 1 cm). Outside China the offset is
not applied, as the map providers do.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 algorithm uses
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0


def _outside_china(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _offset(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    outside = _outside_china(lat, lon)
    return np.where(outside, 0.0, dlat), np.where(outside, 0.0, dlon)


def wgs84_to_gcj02(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 -> GCJ-02."""
    lat, lon = np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    dlat, dlon = _offset(lat, lon)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: np.ndarray, lon: np.ndarray, iterations: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 -> WGS84 by fixed-point iteration of the forward transform."""
    lat, lon = np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    guess_lat, guess_lon = lat.copy(), lon.copy()
    for _ in range(iterations):
        fwd_lat, fwd_lon = wgs84_to_gcj02(guess_lat, guess_lon)
        guess_lat, guess_lon = guess_lat - (fwd_lat - lat), guess_lon - (fwd_lon - lon)
    return guess_lat, guess_lon


def bd09_to_gcj02(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 -> GCJ-02 (Baidu's published inverse)."""
    x, y = np.asarray(lon, dtype="float64") - 0.0065, np.asarray(lat, dtype="float64") - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.sin(theta), z * np.cos(theta)


def gcj02_to_bd09(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 -> BD-09."""
    x, y = np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.sin(theta) + 0.006, z * np.cos(theta) + 0.0065


CHINESE = ("wgs84", "gcj02", "bd09")


class CrsError(ValueError):
    """A coordinate system that is neither wgs84, gcj02, bd09 nor one pyproj knows."""


@lru_cache(maxsize=32)
def _source(crs: str) -> CRS:
    try:
        return CRS.from_user_input(crs)
    except CRSError as exc:
        raise CrsError(f"unknown coordinate system {crs!r}: use wgs84, gcj02, bd09 or an EPSG code (EPSG:32650); {exc}") from None


@lru_cache(maxsize=32)
def _to_wgs84(crs: str) -> Transformer:
    return Transformer.from_crs(_source(crs), "EPSG:4326", always_xy=True)


def check_crs(crs: str) -> str:
    """The coordinate system's name; CrsError when it is not one."""
    return crs if crs in CHINESE else str(_source(crs).name)


def is_projected(crs: str) -> bool:
    """Whether the system's values are metres or feet (x, y), not degrees."""
    return crs not in CHINESE and bool(_source(crs).is_projected)


def to_wgs84(lat: np.ndarray, lon: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in `crs` (wgs84, gcj02, bd09 or any EPSG code; for a projected one lat = y, lon = x) as WGS84."""
    if crs == "wgs84":
        return np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    if crs == "gcj02":
        return gcj02_to_wgs84(lat, lon)
    if crs == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))
    x, y = _to_wgs84(crs).transform(np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64"))
    return np.asarray(y, dtype="float64"), np.asarray(x, dtype="float64")


def look_projected(lat: np.ndarray, lon: np.ndarray) -> bool:
    """Whether most values lie beyond any latitude and longitude (|lat| > 90 or |lon| > 180): metres, not degrees."""
    lat, lon = np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    known = ~(np.isnan(lat) | np.isnan(lon))
    if not known.any():
        return False
    beyond = (np.abs(lat[known]) > 90) | (np.abs(lon[known]) > 180)
    return bool(beyond.mean() > 0.5)
