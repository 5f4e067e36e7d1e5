"""Crime hotspots from the real Chicago assaults (every 40th row), counted on the Dask cluster."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest

from pipelines.domains.public_safety.pipeline import HotspotParams, build_hotspots
from pipelines.flows import clean as clean_flow
from pipelines.lake import delta
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake
from pipelines.sources.registry import get_source
from tests.conftest import DATA_DIR, require_data

pytestmark = pytest.mark.slow


def test_hotspots_count_every_clean_incident_once_with_the_trend(settings, dask_client) -> None:
    lines = gzip.decompress(
        require_data(DATA_DIR / "crime" / "chicago" / "chicago_aggravated_assaults.csv.gz").read_bytes()
    ).splitlines(True)
    sample = lines[0] + b"".join(lines[1::40])
    lake = Lake(settings)
    lake.ensure_exists()
    feed = get_source("chicago_assaults")
    lake.write_bytes(f"{lake.layout.landing_dir(feed.name)}/chicago_aggravated_assaults.csv.gz", gzip.compress(sample))
    clean_flow.ingest(settings, feed, "r1", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    cleaned = clean_flow.clean(settings, feed, "r1", dask_client)

    result = build_hotspots(settings, "r1", dask_client, HotspotParams())
    assert result["incidents"] == cleaned.rows_clean and result["suppressed"] == 0
    assert result["periods"] == [str(y) for y in range(2010, 2020)]
    cells = delta.read_table(lake, lake.layout.table(Zone.CURATED, "crime_hotspots"))
    incidents = delta.read_table(lake, lake.layout.table(Zone.CLEAN, "crime_incidents"))
    local = incidents["ts_utc"].dt.tz_convert("America/Chicago")
    district = incidents["district"].fillna(incidents["reported_district"]).fillna("unknown")
    expected = incidents.assign(
        period=local.dt.year.astype(str), district=district, weekday=local.dt.weekday, hour=local.dt.hour
    ).value_counts(["period", "district", "weekday", "hour"])
    got = cells.set_index(["period", "district", "weekday", "hour"])["incidents"]
    assert len(got) == len(expected) and all(got[k] == v for k, v in expected.items())
    busiest = cells[cells["period"] == "2019"].sort_values("incidents").iloc[-1]
    before = expected.get(("2018", busiest["district"], busiest["weekday"], busiest["hour"]), 0)
    assert busiest["previous_incidents"] == before

    private = build_hotspots(settings, "r2", dask_client, HotspotParams(min_group_size=3))
    cells = delta.read_table(lake, lake.layout.table(Zone.CURATED, "crime_hotspots"))
    assert private["suppressed"] == int(cells["suppressed"].sum()) > 0
    assert cells.loc[cells["suppressed"], ["incidents", "previous_incidents", "change_pct"]].isna().all().all()
    assert (cells.loc[~cells["suppressed"], "incidents"] >= 3).all()
