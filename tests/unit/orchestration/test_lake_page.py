"""The lake page: what it shows, and that Airflow finds the plugin and the Dask connection type."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from pipelines.lake.layout import Zone
from pipelines.lake.status import TableStatus
from pipelines.orchestration.lake_page import lake_status_rows, render_lake_page

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
STATUSES = [
    TableStatus(Zone.CLEAN, "traffic_readings", 4, NOW - dt.timedelta(hours=3), 1_000_000, dt.timedelta(hours=1)),
    TableStatus(
        Zone.QUARANTINE,
        "traffic_readings",
        1,
        NOW - dt.timedelta(minutes=5),
        12,
        dt.timedelta(hours=1),
        {"SPEED_OUT_OF_RANGE": 10, "<script>": 2},
    ),
    TableStatus(Zone.META, "ledger", 9, NOW, 30),
]


def test_rows_say_rows_reasons_cadence_and_freshness() -> None:
    rows = lake_status_rows(STATUSES, NOW)
    assert [(r["zone"], r["dataset"], r["rows"], r["cadence"], r["freshness"]) for r in rows] == [
        ("clean", "traffic_readings", 1_000_000, "1 h", "late"),
        ("quarantine", "traffic_readings", 12, "1 h", "on time"),
        ("_meta", "ledger", 30, "-", "no cadence"),
    ]
    assert rows[0]["last_publish"] == "2026-11-24T09:00:00+00:00"
    assert [(r["owner"], r["producer"]) for r in rows] == [
        ("traffic", "the clean DAG of each feed into it (`<department>_<feed>_clean`)"),
        ("traffic", "the clean DAG of each feed into it (`<department>_<feed>_clean`)"),
        ("lake", "the clean DAG of each feed"),
    ]
    assert rows[2]["description"] == "Per dataset and partition, the counts of the latest publish"


def test_the_page_shows_zones_tables_and_escapes_what_it_shows() -> None:
    page = render_lake_page("s3://city/lake", STATUSES, NOW)
    assert "<td>clean</td><td class='num'>1</td><td class='num'>1,000,000</td>" in page
    assert "SPEED_OUT_OF_RANGE: 10, &lt;script&gt;: 2" in page and "<script>" not in page
    assert "<td class='late'>late</td>" in page and "<td class='on-time'>on time</td>" in page
    assert "Nothing is published yet" in render_lake_page("s3://city/lake", [], NOW)


def test_each_mart_links_to_the_tables_it_is_made_from() -> None:
    statuses = [
        TableStatus(Zone.CLEAN, "air_quality_hourly", 3, NOW, 35_064, dt.timedelta(hours=1)),
        TableStatus(Zone.CURATED, "air_aqi_daily", 2, NOW, 1_461, dt.timedelta(days=1)),
    ]
    assert [r["inputs"] for r in lake_status_rows(statuses, NOW)] == [[], ["clean/air_quality_hourly"]]
    page = render_lake_page("/lake", statuses, NOW)
    assert "<tr id='table-clean-air_quality_hourly' data-dataset='air_quality_hourly'>" in page
    assert "<td><a href='#table-clean-air_quality_hourly'>clean/air_quality_hourly</a></td>" in page


def test_airflow_finds_the_plugin_and_the_dask_connection_type() -> None:
    from airflow import plugins_manager
    from airflow.providers_manager import ProvidersManager

    loaded, import_errors = plugins_manager._get_plugins()
    assert not [name for name in import_errors if "pipelines" in name or "citylake" in name]
    page = next(p for p in loaded if p.name == "citylake_lake_page")
    assert page.external_views[0]["href"] == "citylake/lake" and page.fastapi_apps[0]["url_prefix"] == "/citylake"
    hooks = ProvidersManager().hooks
    assert hooks["dask"].hook_class_name == "pipelines.orchestration.hooks.DaskHook"


PLUGIN_PROBE = """
import json
import sys
from airflow import plugins_manager
if sys.argv[1] == "folder-only":  # as where only the folders are deployed: no installed package, no entry point
    import pipelines.orchestration.lake_page as page
    page.registered_by_entry_point = lambda: False
    plugins_manager._load_entrypoint_plugins = lambda: ([], {})
loaded, errors = plugins_manager._get_plugins()
print(json.dumps({"plugins": [[p.name, str(p.source)] for p in loaded if "citylake" in str(p.name)], "errors": sorted(errors)}))
"""


@pytest.mark.parametrize(
    "deployment, source", [("installed", "EntryPoint(name='citylake'"), ("folder-only", "$PLUGINS_FOLDER/citylake_lake_page.py")]
)
def test_the_plugin_loads_once_from_the_plugins_folder_or_the_entry_point(deployment: str, source: str) -> None:
    import subprocess
    import sys

    from pipelines.orchestration.airflow_env import airflow_environment

    env = airflow_environment()
    assert env["AIRFLOW__CORE__PLUGINS_FOLDER"].endswith("/plugins")
    probe = subprocess.run([sys.executable, "-c", PLUGIN_PROBE, deployment], env=env, capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout.strip().rsplit("\n", 1)[-1])
    [(name, origin)] = found["plugins"]  # exactly once
    assert name == "citylake_lake_page" and source in origin
    assert found["errors"] == []


def test_each_clean_dataset_links_to_its_data_docs_newest_run_first(tmp_path, monkeypatch) -> None:
    from fastapi import HTTPException

    from pipelines.config import load_settings
    from pipelines.lake.storage import Lake
    from pipelines.orchestration import lake_page

    settings = load_settings(lake_uri=str(tmp_path / "lake"))
    lake = Lake(settings)
    for run, page in (("manual__1", "<p>first</p>"), ("manual__2", "<p>second</p>")):
        lake.write_bytes(f"{lake.layout.validations_dir('water_readings', run)}/index.html", page.encode())
        time.sleep(0.05)
    monkeypatch.setattr(lake_page, "task_settings", lambda *_: settings)
    listing = lake_page.validation_runs("water_readings")
    assert listing.index("water_readings/manual__2/index.html") < listing.index("water_readings/manual__1/index.html")
    assert lake_page.validation_page("water_readings", "manual__1", "index.html") == "<p>first</p>"
    for dataset, run, page in (
        ("ledger", "manual__1", "index.html"),
        ("water_readings", "..", "index.html"),
        ("water_readings", "manual__1", "x.json"),
    ):
        with pytest.raises(HTTPException):
            lake_page.validation_page(dataset, run, page)


def test_the_page_lists_the_briefs_and_open_data_releases_and_serves_their_files(tmp_path, monkeypatch) -> None:
    from fastapi import HTTPException

    from pipelines.config import load_settings
    from pipelines.lake.storage import Lake
    from pipelines.orchestration import lake_page

    settings = load_settings(lake_uri=str(tmp_path / "lake"))
    lake = Lake(settings)
    for edition in ("2026-W48", "2026-W49"):
        lake.write_bytes(lake.layout.report_file("weekly_brief", edition, "brief.html"), f"<h1>{edition}</h1>".encode())
        lake.write_bytes(lake.layout.report_file("weekly_brief", edition, "brief.pdf"), b"%PDF-1.4")
    lake.write_bytes(lake.layout.open_data_file("city_indicators", "2026-12-03", "city_indicators.csv"), b"indicator\n")
    files = lake_page.published_files(lake)
    assert files == [
        ("reports", "weekly_brief", "2026-W49", "brief.html"),
        ("reports", "weekly_brief", "2026-W49", "brief.pdf"),
        ("reports", "weekly_brief", "2026-W48", "brief.html"),
        ("reports", "weekly_brief", "2026-W48", "brief.pdf"),
        ("open_data", "city_indicators", "2026-12-03", "city_indicators.csv"),
    ]
    page = render_lake_page("/lake", [], NOW, files)
    assert (
        "<tr><td>reports</td><td>weekly_brief</td><td>2026-W49</td><td><a href='files/reports/weekly_brief/2026-W49/brief.html'>"
        "brief.html</a> <a href='files/reports/weekly_brief/2026-W49/brief.pdf'>brief.pdf</a></td></tr>"
    ) in page
    assert "<a href='files/open_data/city_indicators/2026-12-03/city_indicators.csv'>" in page
    assert "None yet: the egov_weekly_brief DAG makes them." in render_lake_page("/lake", [], NOW)

    monkeypatch.setattr(lake_page, "task_settings", lambda *_: settings)
    pdf = lake_page.published_file("reports", "weekly_brief", "2026-W48", "brief.pdf")
    assert (pdf.body, pdf.media_type) == (b"%PDF-1.4", "application/pdf")
    for kind, name, edition, file in (
        ("validations", "weekly_brief", "2026-W48", "brief.pdf"),
        ("reports", "weekly_brief", "..", "brief.pdf"),
        ("reports", "weekly_brief", "2026-W48", "brief.exe"),
        ("reports", "weekly_brief", "2026-W47", "brief.pdf"),
    ):
        with pytest.raises(HTTPException):
            lake_page.published_file(kind, name, edition, file)
