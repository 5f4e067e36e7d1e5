"""Projected coordinates by EPSG code (pyproj): UTM in, WGS84 out with districts; degrees that are not are flagged."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import yaml

from pipelines.cleanse.crs import to_wgs84
from pipelines.cleanse.geo import read_districts
from pipelines.config import PROJECT_ROOT, load_settings
from pipelines.sources.check import check_report
from pipelines.sources.spec import FeedConfigError, parse_feed
from pipelines.sources.standardize import FeedContext, standardize
from pipelines.validate.suite import load_suite

CORPUS_FEED = PROJECT_ROOT / "tests" / "corpus" / "feeds" / "corpus_events.yaml"
# (y, x) in UTM zone 50N (EPSG:32650) of two points in Beijing: 39.91 N, 116.35 E (Xicheng) and 39.91 N, 116.42 E (Dongcheng)
UTM_50N = [(4417970.37, 444443.21), (4417929.16, 450426.29)]


def projected_feed(crs: str):
    document = yaml.safe_load(CORPUS_FEED.read_text(encoding="utf-8"))
    document["coordinates"] = {"latitude": "northing", "longitude": "easting", "crs": crs}
    return parse_feed(document, "sources/x.yaml")


def csv_of(points: list[tuple[float, float]]) -> bytes:
    rows = [f"E{i},2024-05-01 08:00,litter,open,x,{y},{x}" for i, (y, x) in enumerate(points, 1)]
    return ("id,reported_at,category,status,text,northing,easting\n" + "\n".join(rows) + "\n").encode()


def test_utm_is_read_by_its_epsg_code_on_the_central_meridian_and_the_equator() -> None:
    lat, lon = to_wgs84(np.array([0.0, 0.0]), np.array([500000.0, 500000.0]), "EPSG:32650")
    assert np.allclose(lat, [0, 0], atol=1e-9) and np.allclose(lon, [117, 117], atol=1e-9)  # zone 50's meridian is 117 E
    lat, lon = to_wgs84(np.array([0.0]), np.array([500000.0]), "EPSG:32618")
    assert np.allclose(lon, [-75], atol=1e-9)


def test_a_feed_in_utm_lands_in_wgs84_with_its_districts() -> None:
    spec = projected_feed("EPSG:32650")
    districts = read_districts(PROJECT_ROOT / "tests" / "corpus" / "beijing_two_districts.geojson", "name")
    context = FeedContext("events.csv", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), districts)
    result = standardize(csv_of(UTM_50N), spec, load_suite(spec.suite), context)
    assert len(result.rejects) == 0
    clean = result.clean.sort_values("event_id")
    assert np.allclose(clean["latitude"], [39.91, 39.91], atol=1e-6)
    assert np.allclose(clean["longitude"], [116.35, 116.42], atol=1e-6)
    assert clean["district"].tolist() == ["Xicheng", "Dongcheng"]


def test_an_unknown_coordinate_system_is_refused_at_load() -> None:
    with pytest.raises(
        FeedConfigError,
        match=r"^sources/x\.yaml: coordinates\.crs: unknown coordinate system 'EPSG:999999': "
        r"use wgs84, gcj02, bd09 or an EPSG code \(EPSG:32650\)$",
    ):
        projected_feed("EPSG:999999")


def test_sources_check_warns_when_degrees_are_declared_for_metres(tmp_path) -> None:
    sample = tmp_path / "events.csv"
    sample.write_bytes(csv_of(UTM_50N))
    report = check_report(projected_feed("wgs84"), sample, load_settings(data_dir=PROJECT_ROOT))
    assert (
        "warning: coordinates look projected, e.g. (4.41797e+06, 444443) lies beyond +-90 / +-180, but the feed declares wgs84"
        in report
    )
    assert "warning" not in check_report(projected_feed("EPSG:32650"), sample, load_settings(data_dir=PROJECT_ROOT))
