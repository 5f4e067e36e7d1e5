"""The local platform (`make up`) driven through the Airflow UI in headless Chromium, as an operator would.

Starts Airflow's four services and a Dask scheduler with two workers on free ports, logs in, sees every
CityLake DAG with no import error, triggers the air-quality clean DAG from the UI, watches it succeed,
opens the asset graph and the lake page, and checks that the heavy work ran on the platform's Dask
scheduler; then `down` stops exactly what `up` started. Screenshots go to var/test-artifacts/ui/.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.config import load_settings
from pipelines.lake.ledger import read_ledger
from pipelines.lake.storage import Lake
from pipelines.platform import AirflowApi, PlatformConfig, down, up
from pipelines.processes import alive
from tests.conftest import DATA_DIR, beijing_slice
from tests.dags.test_dag_integrity import EXPECTED
from tests.e2e.browser import ARTIFACTS, browser_page, require_chromium
from tests.e2e.browser import screenshot as browser_screenshot

pytestmark = pytest.mark.slow
VIEWPORT = {"width": 1400, "height": 900}
SHOTS = ARTIFACTS / "ui"
STATIONS, HOURS = ("Gucheng", "Changping"), 24 * 7
CLEAN_DAG = "environment_air_beijing_clean"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PlatformConfig, Lake]]:
    require_chromium()
    home = tmp_path_factory.mktemp("platform")
    settings = load_settings(lake_uri=str(home / "lake"), data_dir=DATA_DIR, pseudonym_key="ui-test-key")
    lake = Lake(settings)
    lake.ensure_exists()
    for station in STATIONS:
        lake.write_bytes(
            f"{lake.layout.landing_dir('air_beijing')}/PRSA_Data_{station}_20130301-20170228.csv", beijing_slice(station, HOURS)
        )
    config = PlatformConfig.on_free_ports(home)
    started = up(settings, config)
    try:
        yield config, lake
    finally:
        stopped = down(config)
        assert sorted(stopped) == sorted(p.name for p in started)  # exactly what `up` started
        assert not any(alive(p) for p in started)


@pytest.fixture(scope="module")
def page(platform: tuple[PlatformConfig, Lake]) -> Iterator["playwright.sync_api.Page"]:  # noqa: F821
    config, _ = platform
    with browser_page(config.api_url, VIEWPORT) as page:
        yield page


def screenshot(page, name: str, *must_show: str) -> Path:
    return browser_screenshot(page, SHOTS, name, *must_show)


def admin_password(config: PlatformConfig) -> str:
    return json.loads(config.password_file.read_text())["admin"]


def test_log_in_and_see_every_dag_without_an_import_error(platform, page) -> None:
    page.goto("/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(admin_password(platform[0]))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "login" not in url)
    page.wait_for_load_state("networkidle")
    assert len(EXPECTED) <= 100  # every DAG on one page of the list
    page.goto("/dags?offset=0&limit=100")  # the list reads its page size only beside a page index (`offset`)
    for dag_id in sorted(EXPECTED):
        page.get_by_role("link", name=dag_id, exact=True).wait_for(timeout=60_000)
    assert page.get_by_role("button", name="Dag Import Error").count() == 0
    screenshot(page, "1-dags", CLEAN_DAG, "environment_aqi_marts")


def test_trigger_the_air_quality_dag_and_watch_it_succeed(platform, page) -> None:
    config, lake = platform
    client = AirflowApi(config)
    client.unpause("environment_aqi_marts")  # let the marts follow the asset
    page.goto(f"/dags/{CLEAN_DAG}")
    page.get_by_role("button", name="Trigger Dag").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(f"Unpause {CLEAN_DAG} on trigger").wait_for()  # new DAGs start paused: the dialog offers it
    screenshot(page, "2-trigger-dialog", "Single Run")
    dialog.get_by_role("button", name="Trigger").click()

    deadline = time.monotonic() + 600
    while True:
        runs = client.call(f"/api/v2/dags/{CLEAN_DAG}/dagRuns?run_type=manual")["dag_runs"]
        if runs and runs[0]["state"] in ("success", "failed"):
            break
        assert time.monotonic() < deadline, f"the triggered run did not finish: {runs}"
        time.sleep(3)
    assert runs[0]["state"] == "success"
    page.goto(f"/dags/{CLEAN_DAG}/runs")
    screenshot(page, "3-run-succeeded", "Success")

    ledger = read_ledger(lake, "air_quality_hourly")
    assert sorted(ledger["source_partition"]) == sorted(STATIONS)
    assert (int(ledger["rows_in"].sum()), int(ledger["rows_clean"].sum())) == (2 * HOURS, 2 * HOURS)


def test_the_asset_graph_links_the_clean_dag_to_the_marts(platform, page) -> None:
    config, _ = platform
    asset = AirflowApi(config).call("/api/v2/assets?name_pattern=air_quality_hourly")["assets"][0]
    page.goto(f"/assets/{asset['id']}")
    for node in (f"dag:{CLEAN_DAG}", "dag:environment_aqi_marts", f"asset:{asset['id']}"):
        page.locator(f".react-flow__node[data-id='{node}']").wait_for(timeout=60_000)
    screenshot(page, "4-asset-graph", "air_quality_hourly")


def test_the_lake_page_shows_the_published_tables(platform, page) -> None:
    page.goto("/citylake/lake")
    row = page.locator("tr[data-dataset='air_quality_hourly']").first
    row.wait_for()
    assert row.inner_text().split("\t")[:2] == ["clean", "air_quality_hourly"]
    assert f"{2 * HOURS:,}" in row.inner_text() and "on time" in row.inner_text()
    page.goto("/plugin/lake")  # the same page inside the UI, from Browse > Lake
    frame = page.frame_locator("iframe").first
    frame.locator("tr[data-dataset='air_quality_hourly']").first.wait_for(timeout=60_000)
    assert frame.get_by_role("heading", name="The lake").is_visible()
    screenshot(page, "5-lake-page", "Browse")


def test_the_lake_page_needs_a_login(platform) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{platform[0].api_url}/citylake/lake.json", timeout=30)
    assert refused.value.code == 401


def test_the_heavy_work_ran_on_the_platforms_dask_scheduler(platform) -> None:
    from distributed import Client

    with Client(platform[0].dask_address, timeout=10) as client:
        prefixes = client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
    assert "stage_file" in prefixes, prefixes  # the clean flow's per-file task, not a per-task LocalCluster


def test_the_dask_pool_is_sized_to_the_workers_and_the_cli_talks_to_this_airflow(platform) -> None:
    import subprocess

    from pipelines.orchestration.airflow_env import airflow_executable
    from pipelines.orchestration.task_policy import DASK_POOL
    from pipelines.platform import running_environment

    config, lake = platform
    env = running_environment(lake.settings, config)
    assert env is not None and env["AIRFLOW_HOME"] == str(config.airflow_home)
    pools = subprocess.run([airflow_executable(), "pools", "list", "--output", "json"], env=env, capture_output=True, text=True)
    listed = next(line for line in pools.stdout.splitlines() if line.startswith("[{"))  # after any log lines
    slots = {p["pool"]: int(p["slots"]) for p in json.loads(listed)}
    assert slots[DASK_POOL] == config.workers == 2
