"""Geo-referencing: districts from KML (read by fastkml) or GeoJSON polygons, holes and multipolygons honoured
(shapely), a city grid, and checks for impossible points. Pure."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape


class GeoFileError(ValueError):
    """A polygon file that cannot be read."""


@dataclass(frozen=True)
class District:
    """A named district: a polygon or multipolygon, holes included (a point in a hole is not in the district)."""

    name: str
    geometry: Polygon | MultiPolygon


def _placemarks(feature: Any) -> Iterator[Any]:
    """Every Placemark under a KML document or folder, depth first, in file order."""
    for child in getattr(feature, "features", None) or []:
        if type(child).__name__ == "Placemark":
            yield child
        else:
            yield from _placemarks(child)


def _kml_label(placemark: Any, name_field: str) -> str | None:
    """The Placemark's `name`, or its ExtendedData / SchemaData field of that name."""
    if name_field == "name":
        return placemark.name
    data = placemark.extended_data
    for element in getattr(data, "elements", None) or []:
        if getattr(element, "name", None) == name_field:
            return str(element.value)
        for simple in getattr(element, "data", None) or []:  # SchemaData: SimpleData name=... value
            if getattr(simple, "name", None) == name_field:
                return str(simple.value)
    return None


def read_kml(path: Path, name_field: str = "name") -> list[District]:
    """Districts from a KML file (read by fastkml): each Placemark's label and its polygons with their holes."""
    with warnings.catch_warnings():  # fastkml notes that lxml (pretty printing only) is absent
        warnings.simplefilter("ignore", UserWarning)
        from fastkml import KML
    try:
        document = KML.parse(path)
    except Exception as exc:  # fastkml and its XML parser raise their own error types
        raise GeoFileError(f"{path}: not a readable KML file ({exc})") from exc
    districts = []
    for placemark in _placemarks(document):
        label = _kml_label(placemark, name_field)
        geometry = shape(placemark.geometry) if placemark.geometry is not None else None
        if label is None or not isinstance(geometry, (Polygon, MultiPolygon)):
            raise GeoFileError(f"{path}: a Placemark without <{name_field}> or without polygon coordinates")
        districts.append(District(label.strip(), _valid(geometry)))
    if not districts:
        raise GeoFileError(f"{path}: no Placemark polygons")
    return districts


def read_geojson(path: Path, name_field: str) -> list[District]:
    """Districts from a GeoJSON FeatureCollection of Polygons/MultiPolygons (holes included), named by a property."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, OSError) as exc:
        raise GeoFileError(f"{path}: not a readable GeoJSON file ({exc})") from exc
    districts = []
    for index, feature in enumerate(document.get("features", [])):
        geometry = feature.get("geometry") or {}
        label = (feature.get("properties") or {}).get(name_field)
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise GeoFileError(f"{path}: feature #{index} is a {geometry.get('type')}, not a (Multi)Polygon")
        if label is None:
            raise GeoFileError(f"{path}: feature #{index} has no property {name_field!r}")
        districts.append(District(str(label), _valid(shape(geometry))))
    if not districts:
        raise GeoFileError(f"{path}: no features")
    return districts


def _valid(geometry: Polygon | MultiPolygon) -> Polygon | MultiPolygon:
    """The geometry, repaired when its rings cross themselves (as exported polygons sometimes do)."""
    if geometry.is_valid:
        return geometry
    repaired = shapely.make_valid(geometry)
    return (
        repaired
        if isinstance(repaired, (Polygon, MultiPolygon))
        else MultiPolygon([g for g in getattr(repaired, "geoms", []) if isinstance(g, Polygon)])
    )


def read_districts(path: Path, name_field: str) -> list[District]:
    """Districts from a .kml or .geojson/.json file."""
    if path.suffix.lower() == ".kml":
        return read_kml(path, name_field)
    if path.suffix.lower() in (".geojson", ".json"):
        return read_geojson(path, name_field)
    raise GeoFileError(f"{path}: district polygons must be .kml or .geojson")


def locate(lat: np.ndarray, lon: np.ndarray, districts: list[District]) -> np.ndarray:
    """The district name of each point (None outside every district, or in a hole); the first district listed wins.

    A spatial index (STRtree) finds the candidate polygons of every point at once.
    """
    lat, lon = np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    names = np.full(len(lat), None, dtype=object)
    valid = np.flatnonzero(~(np.isnan(lat) | np.isnan(lon)))
    if not len(valid) or not districts:
        return names
    points = shapely.points(lon[valid], lat[valid])
    tree = shapely.STRtree([d.geometry for d in districts])
    point_index, district_index = tree.query(points, predicate="within")
    first: dict[int, int] = {}  # point -> the first district (in file order) that holds it
    for p, d in zip(point_index.tolist(), district_index.tolist()):
        if p not in first or d < first[p]:
            first[p] = d
    for p, d in first.items():
        names[valid[p]] = districts[d].name
    return names


def extent(districts: list[District]) -> tuple[float, float, float, float]:
    """The box around every district polygon: (min_lat, min_lon, max_lat, max_lon)."""
    if not districts:
        raise ValueError("no districts: give the city a boundary")
    lo_lon, lo_lat, hi_lon, hi_lat = shapely.total_bounds([d.geometry for d in districts])
    return float(lo_lat), float(lo_lon), float(hi_lat), float(hi_lon)


def grid_cell(lat: np.ndarray, lon: np.ndarray, size_degrees: float) -> np.ndarray:
    """A grid cell id per point: '<size>:<row>:<col>' with row/col counted from (-90, -180)."""
    lat, lon = np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    rows = np.floor((lat + 90.0) / size_degrees)
    cols = np.floor((lon + 180.0) / size_degrees)
    return np.array(
        [None if np.isnan(r) or np.isnan(c) else f"{size_degrees:g}:{int(r)}:{int(c)}" for r, c in zip(rows, cols)],
        dtype=object,
    )
