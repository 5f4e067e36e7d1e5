"""`citylake doctor`: is the platform usable? Checks the lake, the Dask scheduler, Airflow and the settings,
and says exactly what is wrong and how to fix it."""

from __future__ import annotations

import json
import statistics
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pipelines.config import Settings
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake
from pipelines.orchestration.airflow_env import airflow_executable

if TYPE_CHECKING:
    from pipelines.platform import PlatformConfig


Status = Literal["ok", "warn", "fail"]
# A query of a Delta table makes several small requests before it reads any data (the log's checkpoint pointer, its
# newest commits): when each takes tens of milliseconds, every dashboard query costs about a second, whatever its size
SLOW_SMALL_READ_SECONDS = 0.02
SMALL_READS = 5
CONNECTIONS = ("citylake_lake", "citylake_dask", "citylake_pseudonym")
PSEUDONYMIZED_FEEDS = "cases, case_persons, case_vehicles, hotel_stays, flights"


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, how it went, what was seen, and what to do about it."""

    name: str
    status: Status
    detail: str
    fix: str = ""


def check_lake(settings: Settings) -> Check:
    """Write, read back and delete a probe object under the lake's _meta zone."""
    lake = Lake(settings)
    probe = f"{lake.layout.zone(Zone.META)}/doctor/probe-{uuid.uuid4().hex}"
    where = "S3 bucket" if lake.on_s3 else "directory"
    try:
        lake.ensure_exists()
        lake.write_bytes(probe, b"citylake doctor")
        if lake.read_bytes(probe) != b"citylake doctor":
            return Check("lake", "fail", f"{probe} read back different bytes", "check the storage behind CITYLAKE_LAKE_URI")
        small_read = small_read_seconds(lake, probe) if lake.on_s3 else None
        lake.fs.rm(probe)
    except Exception as exc:  # any storage error is the finding itself
        fix = (
            "check CITYLAKE_S3_ENDPOINT_URL, the access keys (CITYLAKE_S3_* or AWS_*, or the connection citylake_lake) "
            "and that the S3 server is up"
            if lake.on_s3
            else f"make {settings.lake_uri} writable, or set CITYLAKE_LAKE_URI"
        )
        return Check("lake", "fail", f"cannot write to the {where} {settings.lake_uri}: {type(exc).__name__}: {exc}", fix)
    works = f"{where} {settings.lake_uri}: write, read and delete work"
    return Check("lake", "ok", works) if small_read is None else small_read_check(works, small_read)


def small_read_seconds(lake: Lake, path: str, times: int = SMALL_READS) -> float:
    """The median time to read one small object of the lake whole (a Delta log's commits are such objects)."""
    timings = []
    for _ in range(times):
        started = time.perf_counter()
        lake.read_bytes(path)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def small_read_check(works: str, seconds: float) -> Check:
    """The lake check for an S3 lake, given how long a small read takes: slow small reads make every query slow."""
    took = f"a small read takes {seconds * 1000:.0f} ms"
    if seconds <= SLOW_SMALL_READ_SECONDS:
        return Check("lake", "ok", f"{works}; {took}")
    return Check(
        "lake",
        "warn",
        f"{works}, but {took} (over {SLOW_SMALL_READ_SECONDS * 1000:.0f} ms): each BI query waits that long several "
        "times before it reads any data",
        "a steady 40-50 ms is the S3 server sending small replies late (Nagle's algorithm against delayed ACKs): turn "
        "on TCP_NODELAY in the server (Ceph RGW: `rgw frontends = beast ... tcp_nodelay=1`; MinIO has it on); "
        "otherwise check the network between CityLake and the S3 server",
    )


def check_dask(settings: Settings) -> Check:
    """Connect to the configured scheduler and count its workers; without one, say what tasks will do."""
    if not settings.dask_scheduler_address:
        return Check(
            "dask",
            "ok",
            "no scheduler configured: each task starts a LocalCluster on its own machine",
            "for a shared cluster set CITYLAKE_DASK_SCHEDULER_ADDRESS or the connection citylake_dask",
        )
    from pipelines.compute import scheduler_state

    workers, message = scheduler_state(settings.dask_scheduler_address, settings.io_timeout_seconds)
    if workers is None:
        return Check(
            "dask",
            "fail",
            message,
            "start it (`dask scheduler`, then `dask worker <address>`) or fix CITYLAKE_DASK_SCHEDULER_ADDRESS",
        )
    if workers == 0:
        return Check("dask", "warn", message, f"start workers: `dask worker {settings.dask_scheduler_address}`")
    return Check("dask", "ok", message)


def check_data_dir(settings: Settings) -> Check:
    """The public data the demos read."""
    if settings.data_dir.is_dir() and any(settings.data_dir.iterdir()):
        return Check("data", "ok", f"public data in {settings.data_dir}")
    return Check(
        "data",
        "warn",
        f"no public data in {settings.data_dir}: the demos run on SYNTHETIC data",
        "set CITYLAKE_DATA_DIR to the folder with air/, traffic/, crime/, energy/ (see README.md)",
    )


def check_pseudonym_key(settings: Settings) -> Check:
    """Feeds with personal identifiers need the key."""
    if settings.pseudonym_key is not None and settings.pseudonym_key.get_secret_value():
        return Check("pseudonym key", "ok", "configured (its value is never shown)")
    return Check(
        "pseudonym key",
        "warn",
        f"not configured: the feeds {PSEUDONYMIZED_FEEDS} will fail",
        "set CITYLAKE_PSEUDONYM_KEY, or the Airflow connection citylake_pseudonym (password = the key)",
    )


def _airflow(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([airflow_executable(), *args], env=env, capture_output=True, text=True, timeout=180)


def _json_output(result: subprocess.CompletedProcess) -> list | None:
    """The JSON list a CLI command printed last (Airflow may print warnings before it); None when there is none."""
    if result.returncode != 0:
        return None
    lines = result.stdout.splitlines()
    for start in range(len(lines) - 1, -1, -1):
        if lines[start].lstrip().startswith("["):
            try:
                return json.loads("\n".join(lines[start:]))
            except json.JSONDecodeError:
                continue
    return None


def check_airflow(env: dict[str, str]) -> list[Check]:
    """The metadata database, the DAGs' import errors and the connections, through the airflow CLI."""
    home = env.get("AIRFLOW_HOME", "?")
    db = _airflow(["db", "check"], env)
    if db.returncode != 0:
        last = (db.stderr or db.stdout).strip().splitlines()[-1:] or ["no output"]
        return [
            Check(
                "airflow",
                "fail",
                f"metadata database of {home} not reachable: {last[0][:200]}",
                "run `.venv/bin/citylake airflow db migrate` (or check AIRFLOW__DATABASE__SQL_ALCHEMY_CONN)",
            )
        ]
    migrated = _airflow(["db", "check-migrations", "-t", "0"], env)
    if migrated.returncode != 0:
        return [
            Check(
                "airflow",
                "fail",
                f"metadata database of {home} is reachable but not migrated to this Airflow",
                "run `.venv/bin/citylake airflow db migrate`",
            )
        ]
    checks = [Check("airflow", "ok", f"metadata database of {home} reachable and migrated")]
    broken = _json_output(_airflow(["dags", "list-import-errors", "-o", "json"], env))
    if broken is None:
        checks.append(Check("dags", "warn", "could not list import errors", "run `.venv/bin/citylake airflow dags reserialize`"))
    elif broken:
        files = ", ".join(sorted({Path(e.get("filepath", "?")).name for e in broken}))
        checks.append(
            Check(
                "dags",
                "fail",
                f"{len(broken)} DAG file(s) fail to import: {files}",
                "see `.venv/bin/citylake airflow dags list-import-errors`",
            )
        )
    else:
        checks.append(Check("dags", "ok", "no DAG import errors"))
    present = {c.get("conn_id") for c in _json_output(_airflow(["connections", "list", "-o", "json"], env)) or []}
    missing = [c for c in CONNECTIONS if c not in present]
    if missing:
        checks.append(
            Check(
                "connections",
                "warn",
                f"not defined: {', '.join(missing)} (the environment's settings apply)",
                "define them in the UI (Admin > Connections) or with `citylake airflow connections add` when the "
                "platform runs elsewhere than the environment says",
            )
        )
    else:
        checks.append(Check("connections", "ok", f"{', '.join(CONNECTIONS)} defined"))
    return checks


def check_platform(config: PlatformConfig) -> list[Check]:
    """The local platform of `make up`: are the processes it started still running, and its Dask scheduler?"""
    from pipelines.processes import alive, read_started

    recorded = read_started(config.state_file)
    if not recorded:
        return [Check("platform", "ok", "`make up` is not running (it starts Airflow's services and a Dask cluster)")]
    dead = [p for p in recorded if not alive(p)]
    if dead:
        return [
            Check(
                "platform",
                "fail",
                f"{len(dead)} of the {len(recorded)} processes `make up` started have stopped: {', '.join(p.name for p in dead)}",
                f"read {dead[0].log}, then `make down` and `make up`",
            )
        ]
    checks = [Check("platform", "ok", f"all {len(recorded)} processes of `make up` run ({', '.join(p.name for p in recorded)})")]
    address = next((p.command[2] for p in recorded if p.name.startswith("dask-worker") and len(p.command) > 2), None)
    if address:
        dask = check_dask(Settings(dask_scheduler_address=address, io_timeout_seconds=5))  # on this machine: answers fast
        checks.append(Check("platform dask", dask.status, dask.detail, dask.fix))
    return checks


def diagnose(settings: Settings, airflow_env: dict[str, str] | None, platform: "PlatformConfig | None" = None) -> list[Check]:
    """Every check; Airflow's only when an environment is given; the local platform's when its config is."""
    checks = [check_lake(settings), check_dask(settings), check_data_dir(settings), check_pseudonym_key(settings)]
    if platform is not None:
        checks += check_platform(platform)
    if airflow_env is not None:
        checks += check_airflow(airflow_env)
    return checks


def report(checks: list[Check]) -> str:
    """A table a person reads: one line per check, the fix under anything not ok."""
    mark = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
    lines = []
    for check in checks:
        lines.append(f"[{mark[check.status]}] {check.name:<14} {check.detail}")
        if check.status != "ok" and check.fix:
            lines.append(f"       {'':<14} fix: {check.fix}")
    failed = sum(c.status == "fail" for c in checks)
    lines.append(f"\n{failed} problem(s), {sum(c.status == 'warn' for c in checks)} warning(s)")
    return "\n".join(lines)
