"""Geo-referencing: districts from KML or GeoJSON polygons, a city grid, and checks for impossible points."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.path import Path as PolygonPath

KML_NS = {"kml": "http://www.opengis.net/kml/2.2"}


class GeoFileError(ValueError):
    """A polygon file that cannot be read."""


@dataclass(frozen=True)
class District:
    """A named district: one or more outer rings (holes are rare in district maps and ignored)."""

    name: str
    rings: tuple[np.ndarray, ...]  # each (n, 2) as (lon, lat)

    @property
    def paths(self) -> list[PolygonPath]:
        """Ring outlines for point-in-polygon tests."""
        return [PolygonPath(ring) for ring in self.rings]


def _ring(text: str) -> np.ndarray:
    points = [tuple(map(float, p.split(",")[:2])) for p in text.split()]
    return np.array(points, dtype="float64")


def read_kml(path: Path, name_field: str = "name") -> list[District]:
    """Districts from a KML file: each Placemark's `name_field` element and its outer boundaries."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise GeoFileError(f"{path}: not a readable KML file ({exc})") from exc
    districts = []
    for placemark in root.iter("{http://www.opengis.net/kml/2.2}Placemark"):
        label = placemark.findtext(f"kml:{name_field}", namespaces=KML_NS)
        rings = [_ring(c.text or "") for c in placemark.findall(".//kml:outerBoundaryIs/kml:LinearRing/kml:coordinates", KML_NS)]
        if label is None or not rings:
            raise GeoFileError(f"{path}: a Placemark without <{name_field}> or without polygon coordinates")
        districts.append(District(label.strip(), tuple(rings)))
    if not districts:
        raise GeoFileError(f"{path}: no Placemark polygons")
    return districts


def read_geojson(path: Path, name_field: str) -> list[District]:
    """Districts from a GeoJSON FeatureCollection of Polygons/MultiPolygons, named by a property."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, OSError) as exc:
        raise GeoFileError(f"{path}: not a readable GeoJSON file ({exc})") from exc
    districts = []
    for index, feature in enumerate(document.get("features", [])):
        geometry = feature.get("geometry") or {}
        label = (feature.get("properties") or {}).get(name_field)
        if geometry.get("type") == "Polygon":
            polygons = [geometry["coordinates"]]
        elif geometry.get("type") == "MultiPolygon":
            polygons = geometry["coordinates"]
        else:
            raise GeoFileError(f"{path}: feature #{index} is a {geometry.get('type')}, not a (Multi)Polygon")
        if label is None:
            raise GeoFileError(f"{path}: feature #{index} has no property {name_field!r}")
        districts.append(District(str(label), tuple(np.array(p[0], dtype="float64")[:, :2] for p in polygons)))
    if not districts:
        raise GeoFileError(f"{path}: no features")
    return districts


def read_districts(path: Path, name_field: str) -> list[District]:
    """Districts from a .kml or .geojson/.json file."""
    if path.suffix.lower() == ".kml":
        return read_kml(path, name_field)
    if path.suffix.lower() in (".geojson", ".json"):
        return read_geojson(path, name_field)
    raise GeoFileError(f"{path}: district polygons must be .kml or .geojson")


def locate(lat: np.ndarray, lon: np.ndarray, districts: list[District]) -> np.ndarray:
    """The district name of each point (None outside every district); the first match wins."""
    points = np.column_stack([np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")])
    names = np.full(len(points), None, dtype=object)
    valid = ~np.isnan(points).any(axis=1)
    for district in districts:
        for path in district.paths:
            vertices = np.asarray(path.vertices)
            low, high = vertices.min(axis=0), vertices.max(axis=0)
            candidates = valid & (names == None) & (points >= low).all(axis=1) & (points <= high).all(axis=1)  # noqa: E711
            if candidates.any():
                inside = path.contains_points(points[candidates])
                index = np.flatnonzero(candidates)[inside]
                names[index] = district.name
    return names


def extent(districts: list[District]) -> tuple[float, float, float, float]:
    """The box around every district polygon: (min_lat, min_lon, max_lat, max_lon)."""
    if not districts:
        raise ValueError("no districts: give the city a boundary")
    points = np.vstack([ring for district in districts for ring in district.rings])
    (lo_lon, lo_lat), (hi_lon, hi_lat) = points.min(axis=0), points.max(axis=0)
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
