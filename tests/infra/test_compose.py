"""infra/docker-compose.yml, checked without Docker: it parses, refers only to files that exist, commits no
secret, and every service's settings agree with the project's (connections, ports, versions, policies)."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from pipelines.compute import cluster_environment
from pipelines.config import PROJECT_ROOT
from pipelines.lake.policies import load_policies
from pipelines.orchestration.connections import DASK_CONN_ID, INGEST_LAKE_CONN_ID, LAKE_CONN_ID, PSEUDONYM_CONN_ID
from pipelines.platform import AIRFLOW_SERVICES

INFRA = PROJECT_ROOT / "infra"
SECRET_NAMES = re.compile(r"(PASSWORD|SECRET|KEY)$")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((INFRA / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict]:
    return compose["services"]


def env_of(service: dict) -> dict[str, str]:
    return {k: str(v) for k, v in (service.get("environment") or {}).items()}


def connection(service: dict, conn_id: str) -> dict:
    """An AIRFLOW_CONN_* variable's JSON, with its ${VAR} references standing in for the secrets."""
    return json.loads(env_of(service)[f"AIRFLOW_CONN_{conn_id.upper()}"])


def test_every_file_it_refers_to_exists(services) -> None:
    referred = []
    for service in services.values():
        if "build" in service:
            context = (INFRA / service["build"]["context"]).resolve()
            referred += [context, context / service["build"]["dockerfile"]]
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                referred.append((INFRA / source).resolve())
    assert referred and all(path.exists() for path in referred), [str(p) for p in referred if not p.exists()]
    dockerfile = (INFRA / "Dockerfile").read_text()
    for copied in re.findall(r"^COPY (.+) \S+$", dockerfile, flags=re.M):
        for path in copied.split():
            assert (PROJECT_ROOT / path).exists(), f"the Dockerfile copies {path}, which does not exist"


def test_no_secret_is_committed(services) -> None:
    for name, service in services.items():
        for key, value in env_of(service).items():
            if SECRET_NAMES.search(key):
                assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]*)?\}", value), f"{name}: {key} must come from infra/.env"
            for conn_value in re.findall(r'"password": "([^"]*)"', value):
                assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]*)?\}", conn_value), f"{name}: {key} holds a password"
    example = (INFRA / ".env.example").read_text()
    assert all(line.endswith("=") for line in example.splitlines() if line and not line.startswith("#"))
    assert "infra/.env" in (PROJECT_ROOT / ".gitignore").read_text().split()


def test_minio_is_erasure_coded_over_four_nodes(services) -> None:
    nodes = sorted(name for name in services if re.fullmatch(r"minio\d+", name))
    assert nodes == ["minio1", "minio2", "minio3", "minio4"]
    commands = {services[n]["command"] for n in nodes}
    assert commands == {"server --console-address :9001 http://minio{1...4}/data"}  # one pool, every node
    assert {services[n]["environment"]["MINIO_STORAGE_CLASS_STANDARD"] for n in nodes} == {"EC:2"}
    assert len({services[n]["volumes"][0] for n in nodes}) == 4  # a drive of its own each
    balancer = (INFRA / "nginx" / "minio.conf").read_text()
    assert sorted(re.findall(r"server (minio\d):9000", balancer)) == nodes


def test_airflow_services_share_one_jwt_secret_one_database_and_the_api_server(services) -> None:
    airflow = {service: services[f"airflow-{service.replace('api-server', 'apiserver')}"] for service in AIRFLOW_SERVICES}
    assert {" ".join(s["command"][:2]) for s in airflow.values()} == {f"airflow {s}" for s in AIRFLOW_SERVICES}
    for key in (
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    ):
        assert len({env_of(s)[key] for s in airflow.values()}) == 1, key
    api = services["airflow-apiserver"]
    port = api["command"][api["command"].index("--port") + 1]
    assert env_of(api)["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == f"http://airflow-apiserver:{port}/execution/"
    assert f"{port}:{port}" in api["ports"]
    assert (
        "@postgres:5432/" + services["postgres"]["environment"]["POSTGRES_DB"]
        in env_of(api)["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    )
    assert env_of(services["airflow-init"]) == env_of(api)  # the migration runs against the same database


def test_connections_point_at_the_services_and_the_bucket_init_creates(services) -> None:
    scheduler = services["airflow-scheduler"]
    dask = connection(scheduler, DASK_CONN_ID)
    dask_command = services["dask-scheduler"]["command"]
    assert (dask["conn_type"], dask["host"], str(dask["port"])) == (
        "dask",
        "dask-scheduler",
        dask_command[dask_command.index("--port") + 1],
    )
    assert dask["extra"]["lake_conn_id"] == LAKE_CONN_ID
    assert services["dask-worker"]["command"][:3] == ["dask", "worker", f"tcp://dask-scheduler:{dask['port']}"]

    init = (INFRA / "minio" / "init.sh").read_text()
    bucket = re.search(r"mc mb --ignore-existing lake/(\S+)", init).group(1)
    assert f"mc version enable lake/{bucket}" in init
    users = set(re.findall(r"mc admin user add lake (\w+)", init))
    for conn_id, user in ((LAKE_CONN_ID, "pipelines"), (INGEST_LAKE_CONN_ID, "ingest")):
        lake = connection(scheduler, conn_id)
        assert (lake["login"], lake["extra"]["lake_uri"], lake["extra"]["endpoint_url"]) == (
            user,
            f"s3://{bucket}",
            "http://minio:9000",
        )
        assert user in users
    assert env_of(scheduler)["CITYLAKE_LAKE_URI"] == f"s3://{bucket}"
    assert connection(scheduler, PSEUDONYM_CONN_ID)["password"].startswith("${CITYLAKE_PSEUDONYM_KEY")
    # every policy file is created, and attached to the user of the same name
    assert users == set(load_policies())
    assert [set(roles.split()) for roles in re.findall(r"for role in ([\w ]+); do", init)] == [users, users]
    assert 'mc admin policy create lake "citylake-$role" "/init/policies/$role.json"' in init
    assert 'mc admin policy attach lake "citylake-$role" --user "$role"' in init


def test_versions_agree_with_the_project(services) -> None:
    dockerfile = (INFRA / "Dockerfile").read_text()
    python = re.search(r"^FROM python:(\d+\.\d+)", dockerfile, flags=re.M).group(1)
    assert f">={python}" in (PROJECT_ROOT / "pyproject.toml").read_text()
    assert '-c constraints.txt -e ".[postgres]"' in dockerfile  # the same pins as `make setup`, no test tools
    images = {s.get("image") for s in services.values()}
    assert all(image and re.search(r":[\w.\-]+$", image) and not image.endswith(":latest") for image in images), images
    assert 'postgres = ["psycopg2-binary==2.9.10"]' in (PROJECT_ROOT / "pyproject.toml").read_text()


def test_dask_services_take_the_cluster_settings_of_make_up(services) -> None:
    wanted = cluster_environment()
    assert (
        services["dask-scheduler"]["environment"]["DASK_DISTRIBUTED__SCHEDULER__WORKER_TTL"]
        == wanted["DASK_DISTRIBUTED__SCHEDULER__WORKER_TTL"]
        == "60s"
    )
    worker = services["dask-worker"]["environment"]["DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON"]
    assert worker == wanted["DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON"]
