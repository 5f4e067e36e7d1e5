"""Background services started from this machine's environments, stopped exactly: the platform (Airflow, Dask) and
the BI services (Superset, the Postgres-wire endpoint) record each process with its pid and its own start time in a
state file, so that `down` stops those processes' groups and never a later process that reused a pid."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path


class ServiceError(RuntimeError):
    """A service could not be started or stopped; the message says what to do."""


@dataclass(frozen=True)
class Started:
    """One process a service started: enough to stop exactly it later."""

    name: str
    pid: int
    started_at: float  # the process's own start time (psutil), so a recycled pid is never killed
    log: str
    command: list[str] = field(default_factory=list)


def _process_start_time(pid: int) -> float | None:
    """When the process started; None when it is gone (or a zombie waiting for its parent to reap it)."""
    import psutil

    try:
        process = psutil.Process(pid)
        return None if process.status() == psutil.STATUS_ZOMBIE else process.create_time()
    except psutil.Error:
        return None


def start_process(name: str, command: list[str], env: dict[str, str], logs: Path, cwd: Path) -> Started:
    """Start `command` in its own process group, its output appended to `<logs>/<name>.log`."""
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=cwd)
    return Started(name, proc.pid, _process_start_time(proc.pid) or time.time(), str(log), command)


def record_started(state_file: Path, started: list[Started]) -> None:
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text(json.dumps([asdict(p) for p in started], indent=2))


def read_started(state_file: Path) -> list[Started]:
    """The processes a previous start recorded (empty when none)."""
    if not state_file.exists():
        return []
    return [Started(**entry) for entry in json.loads(state_file.read_text())]


def alive(process: Started) -> bool:
    """Whether the recorded process still runs (the same process, not a later one with its pid)."""
    started_at = _process_start_time(process.pid)
    return started_at is not None and abs(started_at - process.started_at) < 1.0


def wait_until(what: str, ready: Callable[[], bool], timeout: float, processes: list[Started]) -> None:
    """Wait until `ready()`; ServiceError naming the log when a process dies first or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [p for p in processes if not alive(p)]
        if dead:
            raise ServiceError(f"{dead[0].name} stopped while waiting for {what}: see {dead[0].log}")
        if ready():
            return
        time.sleep(1)
    raise ServiceError(f"{what} not ready after {timeout:.0f} s: see the logs in {processes[0].log.rsplit('/', 1)[0]}")


def stop_recorded(state_file: Path, grace: float = 20) -> list[str]:
    """Stop exactly the processes recorded in `state_file` (their whole process groups, last started first); the
    names of those stopped."""
    running = [p for p in read_started(state_file) if alive(p)]
    for process in reversed(running):
        with contextlib.suppress(ProcessLookupError):  # it ended between the check and the signal
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(alive(p) for p in running) and time.monotonic() < deadline:
        time.sleep(0.5)
    for process in running:
        if alive(process):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    while any(alive(p) for p in running):
        time.sleep(0.1)
    state_file.unlink(missing_ok=True)
    return [p.name for p in running]
