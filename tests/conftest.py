"""Shared fixtures: a lake in a temporary directory, one Dask cluster per session, slices of the real data."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pipelines.config import PROJECT_ROOT, Settings, load_settings
from pipelines.demo import first_lines, speeds_slice

if TYPE_CHECKING:
    import distributed

    from pipelines.lake.storage import Lake


DATA_DIR = Path(os.environ.get("CITYLAKE_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data"))
BEIJING = DATA_DIR / "air" / "beijing"
METR_LA = DATA_DIR / "traffic" / "metr-la"


def require_path(path: Path, what: str, hint: str = "") -> Path:
    """A file a test needs: absent, the test skips locally and fails in CI (whose set-up provides it)."""
    if not path.exists():
        message = f"{what} {path} is not there{hint}"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI always has it: a missing file is a broken set-up, not a skip
        pytest.skip(message)
    return path


def require_data(path: Path) -> Path:
    """A file of the public data (../shared/data)."""
    return require_path(path, "the public data file", " (set CITYLAKE_DATA_DIR)")


def beijing_file(station: str) -> Path:
    """The real Beijing file of a station."""
    matches = sorted(BEIJING.glob(f"PRSA_Data_{station}_*.csv"))
    return require_data(matches[0] if matches else BEIJING / f"PRSA_Data_{station}_20130301-20170228.csv")


def beijing_slice(station: str, rows: int) -> bytes:
    """The header and the first `rows` data rows of a station's real file, cut at run time."""
    return first_lines(beijing_file(station), rows)


def through_feed(settings: Settings, client: distributed.Client, feed_name: str, paths: list[Path], run_id: str = "r1") -> Any:
    """Deliver files to a feed's landing folder, ingest and clean them, as its clean DAG does; the clean summary."""
    from pipelines.flows import clean as clean_flow
    from pipelines.lake.ingest import deliver
    from pipelines.lake.storage import Lake
    from pipelines.sources.registry import get_source

    feed = get_source(feed_name)
    lake = Lake(settings)
    lake.ensure_exists()
    deliver(lake, feed, paths)
    clean_flow.ingest(settings, feed, run_id, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    return clean_flow.clean(settings, feed, run_id, client)


def air_marts_lake(settings: Settings, stations: tuple[str, ...], hours: int, client: distributed.Client) -> Lake:
    """A new lake with the first `hours` of the stations' real files through the air pipeline (clean, AQI marts)."""
    from pipelines.domains.environment import pipeline
    from pipelines.lake.storage import Lake

    lake = Lake(settings)
    lake.ensure_exists()
    for station in stations:
        lake.write_bytes(
            f"{lake.layout.landing_dir(pipeline.SOURCE_NAME)}/PRSA_Data_{station}_20130301-20170228.csv",
            beijing_slice(station, hours),
        )
    pipeline.ingest(settings, "r1", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    pipeline.clean(settings, "r1", client)
    pipeline.build_marts(settings, "r1", client)
    return lake


def speed_slice(sensors: int, days: int) -> bytes:
    """The first `days` of the first `sensors` columns of the real speed file."""
    return speeds_slice(require_data(METR_LA / "los_speed.csv"), sensors, days * 288)


def deliver_traffic_slice(lake: "Lake", sensors: int, days: int) -> None:
    """The sliced speeds, and the real sensor locations and road links, dropped into landing."""
    lake.write_bytes(f"{lake.layout.landing_dir('metr_la_speeds')}/los_speed.csv", speed_slice(sensors, days))
    for feed, name in (("metr_la_sensors", "graph_sensor_locations.csv"), ("metr_la_road_links", "los_adj.csv")):
        lake.write_bytes(f"{lake.layout.landing_dir(feed)}/{name}", require_data(METR_LA / name).read_bytes())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a lake in a fresh temporary directory, two single-threaded workers."""
    return load_settings(lake_uri=str(tmp_path / "lake"), dask_workers=2, data_dir=DATA_DIR)


@pytest.fixture(scope="session")
def dask_client() -> Iterator[distributed.Client]:
    """One LocalCluster for the whole session (workers pay the GX import once)."""
    from pipelines.compute import dask_client as client_for

    with client_for(load_settings(dask_workers=2)) as client:
        yield client


# The police sources (SYNTHETIC): delivery, and the patterns of the identifiers that must never reach clean or curated.
POLICE_FEEDS = ("cases", "case_persons", "case_vehicles", "hotel_stays", "flights")
ID_CARD, PHONE, PLATE = re.compile(r"\b\d{17}[\dX]\b"), re.compile(r"\b1[358]\d{9}\b"), re.compile(r"[\u4e00-\u9fff][A-Z]·?\d{5}")


def deliver_cases(lake: "Lake", files: list[Path]) -> None:
    from pipelines.sources.registry import all_sources

    feeds = all_sources()
    for path in files:
        feed = next(f for f in (feeds[n] for n in POLICE_FEEDS) if path.match(f.landing_pattern))
        lake.write_bytes(f"{lake.layout.landing_dir(feed.name)}/{path.name}", path.read_bytes())


def personal_identifiers(frame: "pandas.DataFrame") -> list[str]:  # noqa: F821
    """Every text value that looks like an id-card number, a mobile number or a plate."""
    import pandas as pd

    texts = [str(v) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c]) for v in frame[c].dropna()]
    assert texts, "no text to scan"
    return [v for v in texts if ID_CARD.search(v) or PHONE.search(v) or PLATE.search(v)]


# one crime_hotspots row as its declaration wants it: for tests of publishing, conforming and the SQL views
HOTSPOT_ROW = {
    "period": "2019",
    "district": "1",
    "weekday": 0,
    "hour": 5,
    "incidents": 3,
    "previous_incidents": None,
    "change_pct": None,
    "suppressed": False,
    "granularity": "year",
    "run_id": "r",
}
