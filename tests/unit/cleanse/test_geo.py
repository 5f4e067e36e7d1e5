"""Districts by shapely: holes and multipolygons honoured, checked on the real Chicago districts and against a
brute-force even-odd reference."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon

from pipelines.cleanse.geo import District, GeoFileError, extent, locate, read_districts, read_geojson
from tests.conftest import DATA_DIR, require_data


def even_odd(x: float, y: float, rings: list[list[tuple[float, float]]]) -> bool:
    """Inside when a ray to the right crosses the rings (outer and holes alike) an odd number of times."""
    inside = False
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def square(x0: float, y0: float, size: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x0 + size, y0), (x0 + size, y0 + size), (x0, y0 + size)]


@settings(max_examples=60, deadline=None)
@given(
    hole=st.tuples(st.floats(1, 5), st.floats(1, 5), st.floats(0.5, 3)),
    points=st.lists(st.tuples(st.floats(-1, 11), st.floats(-1, 11)), min_size=1, max_size=40),
)
def test_locate_agrees_with_an_even_odd_reference_on_polygons_with_holes(hole, points) -> None:
    outer, inner = square(0, 0, 10), square(*hole)
    districts = [
        District("ring", Polygon(outer, [inner])),
        District("island", Polygon(square(hole[0] + 0.1, hole[1] + 0.1, 0.2))),
    ]
    xs, ys = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    edges = shapely.union_all([d.geometry.boundary for d in districts])
    on_an_edge = [edges.distance(Point(x, y)) < 1e-9 for x, y in points]  # on a boundary: either reading is right
    names = locate(ys, xs, districts)
    for (x, y), name, edge in zip(points, names, on_an_edge):
        if edge:
            continue
        in_island = even_odd(x, y, [square(hole[0] + 0.1, hole[1] + 0.1, 0.2)])
        expected = "ring" if even_odd(x, y, [outer, inner]) else ("island" if in_island else None)
        assert name == expected, (x, y, hole)


def test_points_in_the_holes_of_districts_16_and_22_are_in_district_31() -> None:
    """District 31 (O'Hare and two enclaves) lies in holes of 16 and 22: a point there is in 31, not in the district around it."""
    districts = read_districts(require_data(DATA_DIR / "crime/chicago/chicago_police_districts.kml"), "name")
    enclaves = [d for d in districts if d.name == "31"]
    around = [part for d in districts if d.name in ("16", "22") for part in getattr(d.geometry, "geoms", [d.geometry])]
    assert len(enclaves) == 3 and sum(len(part.interiors) for part in around) == 3
    inside_a_hole = 0
    for enclave in enclaves:
        point = enclave.geometry.representative_point()
        assert locate(np.array([point.y]), np.array([point.x]), districts).tolist() == ["31"]
        inside_a_hole += any(Polygon(part.exterior).contains(point) for part in around)
    assert inside_a_hole == 3  # each enclave sits inside the outline of 16 or 22, in one of its holes


def test_multipolygons_extent_and_points_outside(tmp_path: Path) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Islands"},
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]], [[[5, 5], [6, 5], [6, 6], [5, 6], [5, 5]]]],
                },
            }
        ],
    }
    path = tmp_path / "islands.geojson"
    path.write_text(json.dumps(collection))
    districts = read_geojson(path, "name")
    assert locate(np.array([0.5, 5.5, 3.0, np.nan]), np.array([0.5, 5.5, 3.0, 1.0]), districts).tolist() == [
        "Islands",
        "Islands",
        None,
        None,
    ]
    assert extent(districts) == (0.0, 0.0, 6.0, 6.0)


KML_WITH_A_HOLE = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder>
<Placemark><name>ignored</name><ExtendedData><Data name="dist_num"><value>7</value></Data></ExtendedData>
<Polygon><outerBoundaryIs><LinearRing><coordinates>0,0 10,0 10,10 0,10 0,0</coordinates></LinearRing></outerBoundaryIs>
<innerBoundaryIs><LinearRing><coordinates>4,4 6,4 6,6 4,6 4,4</coordinates></LinearRing></innerBoundaryIs></Polygon></Placemark>
</Folder></Document></kml>"""


def test_kml_holes_and_a_name_from_extended_data(tmp_path: Path) -> None:
    path = tmp_path / "districts.kml"
    path.write_text(KML_WITH_A_HOLE)
    districts = read_districts(path, "dist_num")
    assert [d.name for d in districts] == ["7"]
    assert locate(np.array([1.0, 5.0, 11.0]), np.array([1.0, 5.0, 1.0]), districts).tolist() == ["7", None, None]
    path.write_text("<kml>not closed")
    with pytest.raises(GeoFileError, match=r"districts.kml: not a readable KML file"):
        read_districts(path, "name")
