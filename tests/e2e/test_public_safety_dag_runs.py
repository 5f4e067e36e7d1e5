"""The public-safety DAGs run for real under `airflow dags test`: police feeds (pseudonymised), rules, hotspots."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest

from pipelines.config import load_settings
from pipelines.demo import run_airflow
from pipelines.domains.public_safety.synthetic import generate_cases, write_case_files
from pipelines.lake import delta
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake
from pipelines.orchestration.airflow_env import airflow_environment
from pipelines.sources.registry import all_sources
from tests.conftest import DATA_DIR, require_data

pytestmark = pytest.mark.slow
FEEDS = ("cases", "case_persons", "case_vehicles", "hotel_stays", "flights")


def test_police_feeds_then_rules_and_hotspots(tmp_path: Path) -> None:
    settings = load_settings(lake_uri=str(tmp_path / "lake"))
    lake = Lake(settings)
    lake.ensure_exists()
    feeds = all_sources()
    for path in write_case_files(generate_cases(6_000, seed=2), tmp_path / "files"):
        feed = next(feeds[n] for n in FEEDS if path.match(feeds[n].landing_pattern))
        lake.write_bytes(f"{lake.layout.landing_dir(feed.name)}/{path.name}", path.read_bytes())
    lines = gzip.decompress(
        require_data(DATA_DIR / "crime" / "chicago" / "chicago_aggravated_assaults.csv.gz").read_bytes()
    ).splitlines(True)
    lake.write_bytes(
        f"{lake.layout.landing_dir('chicago_assaults')}/chicago_aggravated_assaults.csv.gz",
        gzip.compress(lines[0] + b"".join(lines[1::100])),
    )
    home = tmp_path / "airflow"
    env = airflow_environment(
        home,
        base={
            "PATH": "/usr/bin:/bin",
            "CITYLAKE_LAKE_URI": settings.lake_uri,
            "CITYLAKE_DASK_WORKERS": "2",
            "CITYLAKE_PSEUDONYM_KEY": "e2e-key-not-a-secret",
        },
    )
    log = tmp_path / "airflow.log"
    conf = json.dumps({"period": "2025-Q2", "window_hours": 48, "min_support": 0.01, "min_group_size": 20})
    for args in (
        ["db", "migrate"],
        ["dags", "reserialize"],
        *(["dags", "test", f"police_{f}_clean"] for f in FEEDS),
        ["dags", "test", "public_safety_rules", "-c", conf],
        ["dags", "test", "police_chicago_assaults_clean"],
        ["dags", "test", "public_safety_hotspots", "-c", json.dumps({"granularity": "quarter"})],
    ):
        run_airflow(args, env, log)

    with sqlite3.connect(home / "airflow.db") as db:
        events = {
            name: json.loads(extra)
            for name, extra in db.execute(
                "SELECT a.name, e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id ORDER BY e.id"
            )
        }
    rules = delta.read_table(lake, lake.layout.table(Zone.CURATED, "crime_rules"))
    assert events["crime_rules"]["partitions"] == ["2025-Q2"] and events["crime_rules"]["rules"] == len(rules) > 0
    assert set(rules["window_hours"]) == {48} and set(rules["min_support"]) == {0.01} and (rules["count"] >= 20).all()
    hotspots = delta.read_table(lake, lake.layout.table(Zone.CURATED, "crime_hotspots"))
    assert (
        events["crime_hotspots"]["partitions"][:2] == ["2010-Q1", "2010-Q2"] and len(hotspots) == events["crime_hotspots"]["rows"]
    )
    persons = delta.read_table(lake, lake.layout.table(Zone.CLEAN, "case_persons"))
    assert persons["person_id"].str.fullmatch(r"[0-9a-f]{32}").all()
