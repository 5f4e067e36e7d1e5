"""The local platform without Docker: Airflow 3's four services and a Dask cluster, from this virtual environment.

`citylake up` (make up) starts a Dask scheduler with workers, then the Airflow api-server, scheduler,
dag-processor and triggerer on one metadata DB, one JWT secret and the connections `citylake_dask`
(that scheduler), `citylake_lake` (when the lake is on S3) and `citylake_pseudonym`, all passed as
environment variables (AIRFLOW_CONN_*), never written into a file of the repository. Each process is
recorded with its pid and start time; `citylake down` (make down) stops exactly those and nothing else.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from pipelines.compute import cluster_environment, scheduler_workers
from pipelines.config import PROJECT_ROOT, Settings, local_pseudonym_key, local_secret
from pipelines.metadata_db import LocalPostgres
from pipelines.orchestration.airflow_env import airflow_environment, airflow_executable
from pipelines.orchestration.connections import DASK_CONN_ID, LAKE_CONN_ID, PSEUDONYM_CONN_ID
from pipelines.orchestration.task_policy import DASK_POOL, DASK_POOL_DESCRIPTION
from pipelines.processes import (
    ServiceError,
    Started,
    alive,
    read_started,
    record_started,
    start_process,
    stop_recorded,
    wait_until,
)

AIRFLOW_SERVICES = ("api-server", "scheduler", "dag-processor", "triggerer")


class PlatformError(ServiceError):
    """The platform could not be started or stopped; the message says what to do."""


def port_is_free(port: int) -> bool:
    """Whether nothing listens on `port` of 127.0.0.1 (a bind succeeds)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class PlatformConfig:
    """Where the platform keeps its state, its ports and its size."""

    home: Path = PROJECT_ROOT / "var" / "platform"
    api_port: int = 8080
    dask_port: int = 8786
    workers: int = 2
    worker_memory: str = "4GiB"
    # the log servers: the first scheduler's, the triggerer's, then each further scheduler's (by default the first's + 100 x i)
    log_server_ports: tuple[int, ...] = (8793, 8794)
    schedulers: int = 1  # more than one needs metadata on PostgreSQL (Airflow's HA schedulers)
    postgres_port: int | None = None  # Airflow's metadata on a local PostgreSQL on this port; None: SQLite

    def __post_init__(self) -> None:
        if self.schedulers > 1 and self.postgres_port is None:
            raise PlatformError(
                "two or more Airflow schedulers need the metadata on PostgreSQL (--postgres-port); SQLite allows one"
            )

    @classmethod
    def on_free_ports(
        cls, home: Path, workers: int = 2, worker_memory: str = "2GiB", schedulers: int = 1, postgres: bool = False
    ) -> PlatformConfig:
        """A platform beside the usual one (a test's, a benchmark's): its own home and ports the OS says are free."""
        return cls(
            home=home,
            api_port=free_port(),
            dask_port=free_port(),
            workers=workers,
            worker_memory=worker_memory,
            log_server_ports=tuple(free_port() for _ in range(schedulers + 1)),
            schedulers=schedulers,
            postgres_port=free_port() if postgres else None,
        )

    @property
    def postgres(self) -> LocalPostgres | None:
        return None if self.postgres_port is None else LocalPostgres(self.home, self.postgres_port)

    def scheduler_names(self) -> list[str]:
        return ["airflow-scheduler", *(f"airflow-scheduler-{i + 1}" for i in range(1, self.schedulers))]

    def scheduler_log_port(self, index: int) -> int:
        """The log-server port of scheduler `index` (0: the first)."""
        if index == 0:
            return self.log_server_ports[0]
        given = self.log_server_ports[2:]
        return given[index - 1] if index - 1 < len(given) else self.log_server_ports[0] + 100 * index

    def ports(self) -> dict[int, str]:
        """Every port the platform listens on, and what listens there."""
        found = {self.api_port: "the Airflow API server", self.dask_port: "the Dask scheduler"}
        found[self.log_server_ports[1]] = "the triggerer's log server"
        for index, name in enumerate(self.scheduler_names()):
            found[self.scheduler_log_port(index)] = f"{name}'s log server"
        if self.postgres_port is not None:
            found[self.postgres_port] = "PostgreSQL"
        return found

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def dask_address(self) -> str:
        return f"tcp://127.0.0.1:{self.dask_port}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def state_file(self) -> Path:
        return self.home / "processes.json"

    @property
    def password_file(self) -> Path:
        return self.airflow_home / "simple_auth_manager_passwords.json.generated"


def connection_uris(config: PlatformConfig, settings: Settings, pseudonym_key: str) -> dict[str, str]:
    """The Airflow connections of the platform, as AIRFLOW_CONN_* environment variables (JSON form)."""
    conns = {
        DASK_CONN_ID: {
            "conn_type": "dask",
            "host": "127.0.0.1",
            "port": config.dask_port,
            "extra": {"lake_conn_id": LAKE_CONN_ID},
        },
        PSEUDONYM_CONN_ID: {"conn_type": "generic", "password": pseudonym_key},
    }
    if settings.lake_on_s3:
        conns[LAKE_CONN_ID] = {
            "conn_type": "aws",
            "login": settings.s3_key,
            "password": settings.s3_secret,
            "extra": {"endpoint_url": settings.s3_endpoint, "region_name": settings.s3_region, "lake_uri": settings.lake_uri},
        }
    return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(conn) for conn_id, conn in conns.items()}


def platform_environment(config: PlatformConfig, settings: Settings, jwt_secret: str, pseudonym_key: str) -> dict[str, str]:
    """The environment every service of the platform runs with."""
    env = airflow_environment(config.airflow_home)
    env.update(
        {
            "AIRFLOW_HOME": str(config.airflow_home),  # the platform's own, whatever the shell says
            "CITYLAKE_LAKE_URI": settings.lake_uri,
            "CITYLAKE_DATA_DIR": str(settings.data_dir),
            "AIRFLOW__API_AUTH__JWT_SECRET": jwt_secret,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(config.api_port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__BASE_URL": config.api_url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{config.api_url}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(config.password_file),
            "AIRFLOW__CORE__LAZY_LOAD_PLUGINS": "False",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(config.log_server_ports[0]),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(config.log_server_ports[1]),
            **connection_uris(config, settings, pseudonym_key),
            **cluster_environment(),
        }
    )
    if config.postgres is not None:
        env.update(config.postgres.airflow_environment())
    if config.schedulers > 1:
        env.update(HA_SCHEDULER_SETTINGS)
    return env


# With several schedulers, one that dies must be noticed in seconds, not Airflow's default minutes: its heartbeat is
# late after 15 s, its orphaned tasks are adopted within 15 s, and a task whose process died with it fails (and is
# retried) after 60 s without a heartbeat.
HA_SCHEDULER_SETTINGS = {
    "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_THRESHOLD": "15",
    "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "15",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "60",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
}


def service_environment(config: PlatformConfig, name: str) -> dict[str, str]:
    """What one service sets apart from the others: each further scheduler its own log-server port."""
    names = config.scheduler_names()
    if name in names[1:]:
        return {"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(config.scheduler_log_port(names.index(name)))}
    return {}


def service_commands(config: PlatformConfig) -> dict[str, list[str]]:
    """Every process of the platform, in start order."""
    dask = str(Path(sys.executable).with_name("dask"))
    commands = {"dask-scheduler": [dask, "scheduler", "--host", "127.0.0.1", "--port", str(config.dask_port), "--no-dashboard"]}
    for i in range(config.workers):
        commands[f"dask-worker-{i + 1}"] = [
            dask,
            "worker",
            config.dask_address,
            "--name",
            f"worker-{i + 1}",
            "--nthreads",
            "1",
            "--memory-limit",
            config.worker_memory,
            "--no-dashboard",
            "--local-directory",
            str(config.home / "dask"),
        ]
    for service in AIRFLOW_SERVICES:
        if service == "scheduler":
            commands.update({name: [airflow_executable(), "scheduler"] for name in config.scheduler_names()})
        else:
            commands[f"airflow-{service}"] = [airflow_executable(), service]
    return commands


def _dask_workers(address: str) -> int:
    """The scheduler's workers, or -1 while it does not answer yet."""
    try:
        return scheduler_workers(address, timeout=5)
    except OSError:
        return -1


def _api_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5) as answer:
            health = json.load(answer)
    except OSError:
        return False
    return all(
        health.get(part, {}).get("status") == "healthy" for part in ("metadatabase", "scheduler", "dag_processor", "triggerer")
    )


def up(settings: Settings, config: PlatformConfig = PlatformConfig(), timeout: float = 180) -> list[Started]:
    """Start the platform (or say it already runs) and wait until every part is ready."""
    running = [p for p in read_started(config.state_file) if alive(p)]
    if running:
        raise PlatformError(f"the platform already runs ({len(running)} processes from {config.state_file}): `make down` first")
    taken = [f"{port} ({what})" for port, what in sorted(config.ports().items()) if not port_is_free(port)]
    if taken:
        raise PlatformError(
            f"port(s) in use by another program: {', '.join(taken)}; stop it or choose other ports (citylake up --help)"
        )
    logs = config.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    jwt_secret, _ = local_secret(config.home / "secrets" / "jwt_secret", nbytes=64)
    admin_password, _ = local_secret(config.home / "secrets" / "admin_password", nbytes=12)
    config.airflow_home.mkdir(parents=True, exist_ok=True)
    config.password_file.write_text(json.dumps({"admin": admin_password}))
    env = platform_environment(config, settings, jwt_secret, local_pseudonym_key(settings))
    started: list[Started] = []
    try:
        if config.postgres is not None:
            config.postgres.initialise()
            started.append(start_process("postgres", config.postgres.server_command(), env, logs, cwd=config.home))
            record_started(config.state_file, started)
            wait_until("PostgreSQL", config.postgres.ready, 60, started)
        for step in (["db", "migrate"], ["pools", "set", DASK_POOL, str(config.workers), DASK_POOL_DESCRIPTION]):
            done = subprocess.run([airflow_executable(), *step], env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise PlatformError(f"`airflow {' '.join(step[:2])}` failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        for name, command in service_commands(config).items():
            started.append(start_process(name, command, {**env, **service_environment(config, name)}, logs, cwd=config.home))
            record_started(config.state_file, started)
            if name == "dask-scheduler":
                wait_until("the Dask scheduler", lambda: _dask_workers(config.dask_address) >= 0, 60, started)
        wait_until(f"{config.workers} Dask workers", lambda: _dask_workers(config.dask_address) >= config.workers, 60, started)
        wait_until("the Airflow services", lambda: _api_healthy(config.api_url), timeout, started)
    except BaseException:
        down(config)
        raise
    return started


def running_environment(settings: Settings, config: PlatformConfig = PlatformConfig()) -> dict[str, str] | None:
    """The environment of the running platform's services (its Airflow home, database and connections), or None
    when it does not run: `citylake airflow` then talks to the same Airflow as the UI."""
    if not any(alive(p) for p in read_started(config.state_file)):
        return None
    jwt_secret, _ = local_secret(config.home / "secrets" / "jwt_secret", nbytes=64)
    return platform_environment(config, settings, jwt_secret, local_pseudonym_key(settings))


def down(config: PlatformConfig = PlatformConfig(), grace: float = 20) -> list[str]:
    """Stop exactly the processes `up` started (their whole process groups); the names of those stopped."""
    return stop_recorded(config.state_file, grace)


def describe(config: PlatformConfig, started: list[Started]) -> str:
    """What an operator needs after `up`."""
    password = json.loads(config.password_file.read_text())["admin"]
    lines = [
        f"CityLake platform up: {len(started)} processes (state in {config.state_file})",
        f"  Airflow UI     {config.api_url}   user admin, password {password}",
        f"  Lake page      {config.api_url}/citylake/lake   (Browse > Lake in the UI)",
        f"  Dask scheduler {config.dask_address} with {config.workers} workers; the DAGs' heavy work runs there",
        f"  Airflow        {config.schedulers} scheduler(s), metadata on "
        + (
            "SQLite"
            if config.postgres is None
            else f"PostgreSQL at 127.0.0.1:{config.postgres_port} (data in {config.postgres.data_dir})"
        ),
        f"  Logs           {config.home / 'logs'}",
        "  Stop with      make down",
    ]
    return "\n".join(lines)


class AirflowApi:
    """The platform's Airflow REST API as its admin user: log in, unpause, trigger, read and wait for runs."""

    def __init__(self, config: PlatformConfig) -> None:
        self.config = config
        password = json.loads(config.password_file.read_text())["admin"]
        self.token = self.call("/auth/token", "POST", {"username": "admin", "password": password})["access_token"]

    def call(self, path: str, method: str = "GET", body: dict | None = None) -> dict:
        token = getattr(self, "token", None)
        request = urllib.request.Request(
            f"{self.config.api_url}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return dict(json.loads(response.read() or b"{}"))

    def unpause(self, dag_id: str) -> None:
        self.call(f"/api/v2/dags/{dag_id}", "PATCH", {"is_paused": False})

    def trigger(self, dag_id: str, run_id: str) -> None:
        self.call(f"/api/v2/dags/{dag_id}/dagRuns", "POST", {"dag_run_id": run_id, "logical_date": None})

    def run(self, dag_id: str, run_id: str) -> dict:
        return self.call(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return list(self.call(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"])

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 600) -> dict:
        """The run once it has succeeded or failed; TimeoutError naming its state after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.run(dag_id, run_id)
            if run["state"] in ("success", "failed"):
                return run
            if time.monotonic() > deadline:
                raise TimeoutError(f"{dag_id} run {run_id} did not finish in {timeout:.0f} s: {run['state']}")
            time.sleep(1)
