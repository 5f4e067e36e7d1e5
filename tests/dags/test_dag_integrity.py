"""Every DAG imports cleanly, touches no network, Variable or Connection while parsed, and is well formed."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import pandas as pd
import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.orchestration import assets
from pipelines.orchestration.task_policy import DASK_POOL

AIR_QUALITY_CLEAN = assets.clean("air_quality_hourly")
AIR_QUALITY_MARTS = assets.outlets("environment_aqi_marts")

DAGS_FOLDER = PROJECT_ROOT / "dags"
FEED_DAGS = {
    "environment_air_beijing_clean",
    "police_chicago_assaults_clean",
    "energy_household_power_clean",
    "traffic_metr_la_road_links_clean",
    "traffic_metr_la_sensors_clean",
    "traffic_metr_la_speeds_clean",
    "water_pipe_flow_clean",
    "police_cases_clean",
    "police_case_persons_clean",
    "police_case_vehicles_clean",
    "police_hotel_stays_clean",
    "police_flights_clean",
    "traffic_loop_volumes_15min_clean",
    "environment_noise_sensors_clean",
    "environment_water_quality_stations_clean",
    "energy_building_meters_clean",
    "energy_utilities_monthly_clean",
    "urban_city_management_system_clean",
    "urban_citizen_hotline_clean",
    "emergency_dispatch_calls_clean",
    "emergency_unit_positions_clean",
    "emergency_sensor_alarms_clean",
    "emergency_social_posts_clean",
    "emergency_tempe_opioid_calls_clean",
    "emergency_hotline_calls_clean",
    "emergency_call_centre_volumes_clean",
    "emergency_usgs_earthquakes_clean",
    "health_covid_testing_clean",
}
TRAFFIC_DAGS = {"traffic_readings_curate", "traffic_model_training", "traffic_forecast_scoring"}
AIR_FORECAST_DAGS = {"environment_aqi_forecast_training", "environment_aqi_forecast_scoring"}
LOAD_FORECAST_DAGS = {"energy_load_forecast_training", "energy_load_forecast_scoring"}
CALL_FORECAST_DAGS = {"emergency_calls_forecast_training", "emergency_calls_forecast_scoring"}
EXPECTED = (
    FEED_DAGS
    | {"environment_aqi_marts", "environment_noise_water_marts", "public_safety_hotspots", "public_safety_rules"}
    | {"lake_maintenance", "energy_water_marts", "energy_load_marts", "energy_shifting_marts", "energy_links_marts"}
    | {"urban_marts", "emergency_marts", "emergency_call_marts", "health_marts"}
    | {"egov_city_indicators", "egov_weekly_brief"}
    | TRAFFIC_DAGS
    | AIR_FORECAST_DAGS
    | LOAD_FORECAST_DAGS
    | CALL_FORECAST_DAGS
)


# the tasks that work on the Dask cluster, so run in its pool (one slot per worker)
DASK_TASKS = {
    "validate_standardize_publish",
    "build_aqi_marts",
    "count_hotspots",
    "mine_association_rules",
    "train_and_compare",
    "forecast_and_warn",
    "forecast_and_plan",
}


def test_a_feed_dag_runs_at_its_yaml_cadence(dagbag) -> None:
    from pipelines.sources.registry import all_sources

    for feed in all_sources().values():
        dag = next(d for d in dagbag.dags.values() if d.dag_id.endswith(f"_{feed.name}_clean"))
        assert dag.timetable.delta == pd.Timedelta(feed.cadence).to_pytimedelta(), (feed.name, dag.timetable)


class ParseTimeIO(AssertionError):
    """Raised by the guards below if parsing a DAG file reaches out."""


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory: pytest.TempPathFactory):
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow_home")))

    def refuse(*args, **kwargs):
        raise ParseTimeIO(f"parse-time IO: {args!r}")

    from airflow.sdk import BaseHook, Variable

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(Variable, "get", refuse)
    monkeypatch.setattr(BaseHook, "get_connection", refuse)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    monkeypatch.undo()
    return bag


def test_no_import_errors_and_every_dag_is_there(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == EXPECTED


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_dag_conventions(dagbag, dag_id: str) -> None:
    dag = dagbag.dags[dag_id]
    assert dag.doc_md and len(dag.doc_md.strip()) > 200
    department = "public_safety" if dag_id.startswith("public_safety") else dag_id.partition("_")[0]
    assert {"citylake", department} <= set(dag.tags)
    assert dag.max_active_runs == 1
    assert dag.catchup is False
    for task in dag.tasks:
        assert task.retries >= 2, f"{dag_id}.{task.task_id} has retries={task.retries}"
        assert task.owner == department
        assert dt.timedelta(0) < task.execution_timeout <= dt.timedelta(hours=3), f"{dag_id}.{task.task_id}"
        assert (task.pool == DASK_POOL) == (task.task_id in DASK_TASKS), f"{dag_id}.{task.task_id} runs in {task.pool}"
    assert dag_id.endswith(
        ("_clean", "_marts", "_curate", "_training", "_scoring", "_hotspots", "_rules", "_maintenance", "_indicators", "_brief")
    )


def test_the_brief_follows_each_publish_of_the_indicators(dagbag) -> None:
    indicators, brief = dagbag.dags["egov_city_indicators"], dagbag.dags["egov_weekly_brief"]
    assert [a.uri for a in indicators.get_task("compute_indicators").outlets] == ["citylake://curated/city_indicators"]
    assert [a.uri for a in brief.timetable.asset_condition.objects] == ["citylake://curated/city_indicators"]
    assert sorted(t.task_id for t in brief.tasks) == ["export_open_data", "render_brief"]


def test_the_marts_are_scheduled_on_the_clean_asset_and_publish_their_assets(dagbag) -> None:
    clean = dagbag.dags["environment_air_beijing_clean"]
    marts = dagbag.dags["environment_aqi_marts"]
    publisher = clean.get_task("validate_standardize_publish")
    assert [a.uri for a in publisher.outlets] == [AIR_QUALITY_CLEAN.uri]
    assert [a.uri for a in marts.timetable.asset_condition.objects] == [AIR_QUALITY_CLEAN.uri]
    assert (
        sorted(a.uri for a in marts.get_task("build_aqi_marts").outlets)
        == sorted(a.uri for a in AIR_QUALITY_MARTS)
        == [
            "citylake://curated/air_aqi_daily",
            "citylake://curated/air_aqi_hourly",
            "citylake://curated/air_aqi_monthly",
            "citylake://curated/air_pollution_episodes",
        ]
    )


def test_traffic_follows_the_clean_readings_and_retrains_on_its_own_schedule(dagbag) -> None:
    curate, training, scoring = (
        dagbag.dags[d] for d in ("traffic_readings_curate", "traffic_model_training", "traffic_forecast_scoring")
    )
    assert [a.uri for a in curate.timetable.asset_condition.objects] == ["citylake://clean/traffic_readings"]
    assert [a.uri for a in curate.get_task("curate_readings").outlets] == ["citylake://curated/traffic_readings_clean"]
    assert [a.uri for a in scoring.timetable.asset_condition.objects] == ["citylake://curated/traffic_readings_clean"]
    assert sorted(a.uri for a in scoring.get_task("forecast_and_warn").outlets) == [
        "citylake://curated/congestion_alerts",
        "citylake://curated/traffic_forecast",
    ]
    assert sorted(a.uri for a in scoring.get_task("score_live").outlets) == [
        "citylake://curated/model_changes",
        "citylake://curated/model_live_scores",
    ]
    # live scores first (a switch takes effect in the same run); drift retrains
    assert scoring.get_task("forecast_and_warn").upstream_task_ids == {"score_live"}
    assert scoring.get_task("retrain").upstream_task_ids == {"drifted"}
    assert scoring.get_task("retrain").trigger_dag_id == "traffic_model_training"
    assert training.timetable.expression == "0 0 * * 0"  # @weekly
    assert sorted(a.uri for a in training.get_task("train_and_compare").outlets) == [
        "citylake://curated/model_leaderboard",
        "citylake://curated/traffic_factors",
    ]
    assert set(scoring.params.keys()) == {"traffic", "dates"}


def test_public_safety_follows_the_clean_crime_assets_with_operator_params(dagbag) -> None:
    rules, hotspots = dagbag.dags["public_safety_rules"], dagbag.dags["public_safety_hotspots"]
    assert sorted(a.uri for a in rules.timetable.asset_condition.objects) == [
        "citylake://clean/case_persons",
        "citylake://clean/case_records",
    ]
    assert set(rules.params.keys()) == {"period", "window_hours", "min_support", "min_confidence", "min_lift", "min_group_size"}
    assert [a.uri for a in rules.get_task("mine_association_rules").outlets] == ["citylake://curated/crime_rules"]
    assert [a.uri for a in hotspots.timetable.asset_condition.objects] == ["citylake://clean/crime_incidents"]
    assert set(hotspots.params.keys()) == {"granularity", "min_group_size"}


@pytest.mark.parametrize("dag_id", sorted(FEED_DAGS))
def test_each_feed_dag_publishes_its_dataset_asset(dagbag, dag_id: str) -> None:
    from pipelines.sources.registry import all_sources

    feeds = {f"{f.department}_{f.name}_clean": f for f in all_sources().values()}
    publisher = dagbag.dags[dag_id].get_task("validate_standardize_publish")
    assert [a.uri for a in publisher.outlets] == [f"citylake://clean/{feeds[dag_id].dataset}"]


def test_air_quality_forecasts_follow_the_aqi_mart_and_retrain_weekly_and_on_drift(dagbag) -> None:
    training, scoring = (dagbag.dags[d] for d in ("environment_aqi_forecast_training", "environment_aqi_forecast_scoring"))
    assert training.timetable.expression == "0 0 * * 0"
    assert [a.uri for a in training.get_task("train_and_compare").outlets] == ["citylake://curated/model_leaderboard"]
    assert [a.uri for a in scoring.timetable.asset_condition.objects] == ["citylake://curated/air_aqi_hourly"]
    assert sorted(a.uri for a in scoring.get_task("forecast_and_warn").outlets) == [
        "citylake://curated/air_aqi_forecast",
        "citylake://curated/air_pollution_warnings",
    ]
    assert scoring.get_task("forecast_and_warn").upstream_task_ids == {"score_live"}
    assert scoring.get_task("retrain").trigger_dag_id == "environment_aqi_forecast_training"


def test_load_forecasts_follow_every_declared_load_dataset_and_plan_tomorrow(dagbag) -> None:
    training, scoring = (dagbag.dags[d] for d in ("energy_load_forecast_training", "energy_load_forecast_scoring"))
    assert training.timetable.expression == "0 0 * * 0"
    assert [a.uri for a in training.get_task("train_and_compare").outlets] == ["citylake://curated/model_leaderboard"]
    assert sorted(a.uri for a in scoring.timetable.asset_condition.objects) == [
        "citylake://clean/building_meter_readings",
        "citylake://clean/energy_readings",
    ]
    assert sorted(a.uri for a in scoring.get_task("forecast_and_plan").outlets) == [
        "citylake://curated/energy_load_forecast",
        "citylake://curated/energy_load_shifting_day_ahead",
    ]
    assert scoring.get_task("forecast_and_plan").upstream_task_ids == {"score_live"}
    assert scoring.get_task("retrain").trigger_dag_id == "energy_load_forecast_training"


def test_call_surges_and_warnings_follow_the_call_volumes_with_their_thresholds_as_params(dagbag) -> None:
    from pipelines.domains.emergency.surges import SurgeParams

    marts = dagbag.dags["emergency_call_marts"]
    assert marts.timetable.asset_condition.uri == "citylake://clean/emergency_call_volumes"
    assert [a.uri for a in marts.get_task("detect_surges").outlets] == ["citylake://curated/emergency_anomalies"]
    defaults = SurgeParams()
    assert {name: marts.params[name] for name in marts.params.keys()} == {
        name: getattr(defaults, name)
        for name in ("weeks", "window_slots", "threshold", "min_slots", "merge_gap", "contamination")
    }
    scoring = dagbag.dags["emergency_calls_forecast_scoring"]
    assert [a.uri for a in scoring.timetable.asset_condition.objects] == ["citylake://clean/emergency_call_volumes"]
    assert sorted(a.uri for a in scoring.get_task("forecast_and_warn").outlets) == [
        "citylake://curated/emergency_call_forecast",
        "citylake://curated/emergency_warnings",
    ]
    assert scoring.get_task("retrain").trigger_dag_id == "emergency_calls_forecast_training"


def test_dag_files_only_wire(dagbag) -> None:
    """DAG files import nothing heavy at module level: pipelines' work happens inside task bodies."""
    for path in Path(DAGS_FOLDER).glob("*.py"):
        top_level_imports = [line for line in path.read_text().splitlines() if line.startswith(("import ", "from "))]
        assert all(
            line.startswith(
                (
                    "from __future__",
                    "import datetime",
                    "from airflow.sdk",
                    "from pipelines.orchestration import assets",
                    "from pipelines.orchestration.feed_dags",
                    "from pipelines.orchestration.forecast_dags",
                    "from pipelines.orchestration.mart_dags",
                    "from pipelines.orchestration.task_policy",
                )
            )
            for line in top_level_imports
        ), f"{path.name}: {top_level_imports}"


def test_an_invalid_feed_yaml_gets_no_dag_and_an_import_error_naming_file_key_and_problem(tmp_path, monkeypatch) -> None:
    import shutil

    from airflow.dag_processing.dagbag import DagBag

    from pipelines.sources.registry import SOURCES_DIR

    for name in ("air_beijing", "pipe_flow"):
        shutil.copy(SOURCES_DIR / f"{name}.yaml", tmp_path / f"{name}.yaml")
    broken = (SOURCES_DIR / "pipe_flow.yaml").read_text().replace("name: pipe_flow", "name: pipe_flow_b")
    (tmp_path / "pipe_flow_b.yaml").write_text(broken + "cadense: 1h\n")
    monkeypatch.setenv("CITYLAKE_SOURCES_DIR", str(tmp_path))
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow_home"))

    bag = DagBag(dag_folder=str(DAGS_FOLDER))

    feed_dags = sorted(d for d in bag.dag_ids if d.endswith("_clean"))
    assert feed_dags == ["environment_air_beijing_clean", "water_pipe_flow_clean"]
    [(path, error)] = bag.import_errors.items()
    assert path.endswith("dags/feed_config_errors.py")
    assert "1 feed YAML file(s) are invalid and get no clean DAG until fixed:" in error
    assert f"{tmp_path}/pipe_flow_b.yaml: cadense: unknown key" in error


def test_a_declared_dataset_s_feed_gets_a_dag_and_an_invalid_declaration_an_import_error(tmp_path, monkeypatch) -> None:
    import shutil

    from airflow.dag_processing.dagbag import DagBag

    corpus = Path(__file__).resolve().parent.parent / "onboarding_corpus"
    sources, datasets = tmp_path / "sources", tmp_path / "datasets"
    sources.mkdir()
    shutil.copytree(corpus / "datasets", datasets)
    shutil.copy(corpus / "sources" / "regional_demand_gw.yaml", sources)
    (datasets / "noise_levels.yaml").write_text(
        "name: noise_levels\ndomain: environment\ndescription: Noise\nkey: [site]\n"
        "columns:\n  - {name: site, type: string, description: the meter}\n  - {name: level_db, type: decibel, description: level}\n"
    )
    monkeypatch.setenv("CITYLAKE_SOURCES_DIR", str(sources))
    monkeypatch.setenv("CITYLAKE_DATASETS_DIR", str(datasets))
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow_home"))

    bag = DagBag(dag_folder=str(DAGS_FOLDER))

    assert sorted(d for d in bag.dag_ids if d.endswith("_clean")) == ["grid_operator_regional_demand_gw_clean"]
    dag = bag.dags["grid_operator_regional_demand_gw_clean"]
    assert [a.uri for t in dag.tasks for a in t.outlets] == ["citylake://clean/electricity_demand"]
    [(path, error)] = bag.import_errors.items()
    assert path.endswith("dags/feed_config_errors.py")
    assert "1 dataset YAML file(s) are invalid and declare nothing until fixed:" in error
    assert f"{datasets}/noise_levels.yaml: columns.1: column level_db: unknown type 'decibel'" in error, error
