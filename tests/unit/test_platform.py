"""The local platform's wiring: connections, one environment for every service, what is started and stopped."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from pipelines.config import load_settings
from pipelines.platform import (
    HA_SCHEDULER_SETTINGS,
    PlatformConfig,
    PlatformError,
    connection_uris,
    down,
    platform_environment,
    service_commands,
    service_environment,
    up,
)
from pipelines.processes import Started, alive, read_started


def test_a_local_lake_needs_no_lake_connection_and_dask_points_at_the_platform(tmp_path: Path) -> None:
    config = PlatformConfig(home=tmp_path, dask_port=9786)
    conns = connection_uris(config, load_settings(lake_uri=str(tmp_path / "lake")), "pk")
    assert sorted(conns) == ["AIRFLOW_CONN_CITYLAKE_DASK", "AIRFLOW_CONN_CITYLAKE_PSEUDONYM"]
    assert json.loads(conns["AIRFLOW_CONN_CITYLAKE_DASK"]) == {
        "conn_type": "dask",
        "host": "127.0.0.1",
        "port": 9786,
        "extra": {"lake_conn_id": "citylake_lake"},
    }
    assert json.loads(conns["AIRFLOW_CONN_CITYLAKE_PSEUDONYM"])["password"] == "pk"


def test_a_lake_on_s3_becomes_the_lake_connection(tmp_path: Path) -> None:
    settings = load_settings(
        lake_uri="s3://citylake/lake", s3_endpoint_url="http://127.0.0.1:7480", s3_access_key_id="AK", s3_secret_access_key="SK"
    )
    lake = json.loads(connection_uris(PlatformConfig(home=tmp_path), settings, "pk")["AIRFLOW_CONN_CITYLAKE_LAKE"])
    assert lake == {
        "conn_type": "aws",
        "login": "AK",
        "password": "SK",
        "extra": {"endpoint_url": "http://127.0.0.1:7480", "region_name": "us-east-1", "lake_uri": "s3://citylake/lake"},
    }


def test_every_service_shares_one_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_HOME", "/somewhere/else")  # the platform keeps its own
    config = PlatformConfig(home=tmp_path, api_port=18080, log_server_ports=(18793, 18794))
    env = platform_environment(config, load_settings(lake_uri=str(tmp_path / "lake")), "j" * 128, "pk")
    assert env["AIRFLOW_HOME"] == str(tmp_path / "airflow")
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == "j" * 128
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18080/execution/"
    assert (env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"], env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"]) == (
        "18793",
        "18794",
    )
    assert env["CITYLAKE_LAKE_URI"] == str(tmp_path / "lake")
    # the `dask worker` processes read this at their start: their nanny no longer sets glibc's trim threshold, and numpy
    # asks for no transparent huge pages
    import dask.config

    dask_settings = dask.config.collect_env({k: v for k, v in env.items() if k.startswith("DASK_")})
    assert dask_settings == {
        "distributed": {
            "nanny": {"pre_spawn_environ": {"MALLOC_TRIM_THRESHOLD_": None, "NUMPY_MADVISE_HUGEPAGE": "0"}},
            "scheduler": {"worker_ttl": "60s"},  # a silent worker's tasks go to the others after a minute
        }
    }


def test_the_processes_in_start_order(tmp_path: Path) -> None:
    commands = service_commands(PlatformConfig(home=tmp_path, workers=3, dask_port=9786))
    assert list(commands) == [
        "dask-scheduler",
        "dask-worker-1",
        "dask-worker-2",
        "dask-worker-3",
        "airflow-api-server",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
    ]
    assert commands["dask-worker-2"][2:4] == ["tcp://127.0.0.1:9786", "--name"]


def test_down_stops_exactly_what_up_recorded(tmp_path: Path) -> None:
    config = PlatformConfig(home=tmp_path)
    ours = subprocess.Popen(["sleep", "60"], start_new_session=True)
    bystander = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        import psutil

        recorded = [
            Started("ours", ours.pid, psutil.Process(ours.pid).create_time(), "log"),
            Started("recycled-pid", bystander.pid, 12345.0, "log"),
        ]  # same pid, another process: not ours
        config.state_file.write_text(json.dumps([r.__dict__ for r in recorded]))
        assert [p.name for p in read_started(config.state_file)] == ["ours", "recycled-pid"]
        assert down(config) == ["ours"]
        ours.wait(timeout=10)
        time.sleep(0.2)
        assert bystander.poll() is None and not alive(recorded[0])
        assert not config.state_file.exists()
        assert down(config) == []
    finally:
        ours.kill()
        bystander.kill()


def test_the_cli_talks_to_the_platforms_airflow_only_while_it_runs(tmp_path: Path) -> None:
    import psutil

    from pipelines.platform import running_environment

    config, settings = PlatformConfig(home=tmp_path), load_settings(lake_uri=str(tmp_path / "lake"))
    assert running_environment(settings, config) is None  # nothing runs: `citylake airflow` uses var/airflow
    service = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        started = Started("airflow-scheduler", service.pid, psutil.Process(service.pid).create_time(), "log")
        config.state_file.write_text(json.dumps([started.__dict__]))
        env = running_environment(settings, config)
        assert env is not None and env["AIRFLOW_HOME"] == str(config.airflow_home)
        assert env["CITYLAKE_LAKE_URI"] == settings.lake_uri and env["AIRFLOW__API__BASE_URL"] == config.api_url
    finally:
        service.kill()


def test_a_side_platform_gets_its_own_home_and_free_ports(tmp_path: Path) -> None:
    config = PlatformConfig.on_free_ports(tmp_path, workers=3)
    ports = {config.api_port, config.dask_port, *config.log_server_ports}
    assert all(1024 < p < 65536 for p in ports) and not ports & {8080, 8786, 8793, 8794}  # the OS's ephemeral range
    assert (config.home, config.workers, config.worker_memory) == (tmp_path, 3, "2GiB")


def test_two_schedulers_share_metadata_on_postgres_and_each_serves_its_own_logs(tmp_path: Path) -> None:
    config = PlatformConfig(home=tmp_path, schedulers=2, postgres_port=15434, log_server_ports=(18793, 18794))
    commands = service_commands(config)
    assert [name for name in commands if "scheduler" in name] == ["dask-scheduler", "airflow-scheduler", "airflow-scheduler-2"]
    assert commands["airflow-scheduler-2"][1:] == ["scheduler"]
    assert service_environment(config, "airflow-scheduler") == {}
    assert service_environment(config, "airflow-scheduler-2") == {"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": "18893"}
    env = platform_environment(config, load_settings(lake_uri=str(tmp_path / "lake")), "j" * 128, "pk")
    password = (tmp_path / "secrets" / "postgres_password").read_text()
    url = f"postgresql+psycopg://airflow:{password}@127.0.0.1:15434/airflow"
    assert (env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"]) == (url, url)
    assert {k: env[k] for k in HA_SCHEDULER_SETTINGS} == HA_SCHEDULER_SETTINGS
    assert oct((tmp_path / "secrets" / "postgres_password").stat().st_mode & 0o777) == "0o600"


def test_one_scheduler_stays_on_sqlite_and_two_without_postgres_are_refused(tmp_path: Path) -> None:
    env = platform_environment(PlatformConfig(home=tmp_path), load_settings(lake_uri=str(tmp_path / "lake")), "j" * 128, "pk")
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" not in env and "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL" not in env
    with pytest.raises(PlatformError, match="two or more Airflow schedulers need the metadata on PostgreSQL"):
        PlatformConfig(home=tmp_path, schedulers=2)


def test_each_scheduler_of_a_side_platform_serves_logs_on_a_port_of_its_own(tmp_path: Path) -> None:
    config = PlatformConfig.on_free_ports(tmp_path, schedulers=3, postgres=True)
    assert len(config.log_server_ports) == 4
    ports = config.ports()
    assert len(ports) == 7  # api, dask, triggerer, three schedulers, PostgreSQL: all different
    assert sorted(ports.values()) == sorted(
        [
            "the Airflow API server",
            "the Dask scheduler",
            "the triggerer's log server",
            "airflow-scheduler's log server",
            "airflow-scheduler-2's log server",
            "airflow-scheduler-3's log server",
            "PostgreSQL",
        ]
    )
    assert service_environment(config, "airflow-scheduler-3") == {
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(config.log_server_ports[3])
    }


def test_up_refuses_a_port_another_program_listens_on_before_starting_anything(tmp_path: Path) -> None:
    import socket

    config = PlatformConfig.on_free_ports(tmp_path / "platform")
    with socket.socket() as other:
        other.bind(("127.0.0.1", config.dask_port))
        other.listen()
        with pytest.raises(PlatformError) as refused:
            up(load_settings(lake_uri=str(tmp_path / "lake")), config)
    assert str(refused.value) == (
        f"port(s) in use by another program: {config.dask_port} (the Dask scheduler); stop it or choose other ports "
        "(citylake up --help)"
    )
    assert not config.state_file.exists() and not (config.home / "logs").exists()
