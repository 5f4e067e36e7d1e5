"""Airflow without a single scheduler: two schedulers on PostgreSQL, the one running a task killed mid-run.

The platform starts as `citylake up --schedulers 2` does (on free ports, in its own home): PostgreSQL for the
metadata, two schedulers, the api-server, dag-processor, triggerer and a Dask cluster. A real station file lands,
the air feed's clean DAG is triggered through the REST API, and as soon as one of its tasks runs, the scheduler
whose LocalExecutor runs it is killed with its whole process group (SIGKILL: the task's process dies with it).

The other scheduler must notice the dead one, fail the orphaned task once its heartbeat is overdue, retry it (the
DAGs' own retries) and finish the run. Afterwards the ledger must list the file, and the clean table must hold each
of its rows once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from pipelines.config import load_settings
from pipelines.demo import air_files, first_lines
from pipelines.lake import delta
from pipelines.lake.ledger import read_ledger
from pipelines.lake.storage import Lake
from pipelines.orchestration.feed_dags import FeedDag
from pipelines.platform import AirflowApi, PlatformConfig, down, up
from pipelines.processes import Started, read_started
from pipelines.scaleout.jobs import AIR
from pipelines.scaleout.outcome import Outcome

DAG = FeedDag.of(AIR.feeds[0]).dag_id  # the air feed's clean DAG
CLEAN = AIR.feeds[0].canonical  # what it publishes


def _group_titles() -> dict[int, list[str]]:
    """The command lines of every process, by process group (from /proc)."""
    titles: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            group = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2])  # after the state and the parent pid
            titles.setdefault(group, []).append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
    return titles


def busy_scheduler(schedulers: list[Started]) -> Started | None:
    """The scheduler one of whose LocalExecutor workers runs a task (its title is not `<idle>`)."""
    titles = _group_titles()
    for scheduler in schedulers:
        for title in titles.get(scheduler.pid, []):
            if "LocalExecutor:" in title and "<idle>" not in title:
                return scheduler
    return None


def _land_and_trigger(api: AirflowApi, lake: Lake, path: Path, hours: int, run_id: str) -> float:
    lake.write_bytes(f"{lake.layout.landing_dir(AIR.feeds[0].name)}/{path.name}", first_lines(path, hours))
    api.trigger(DAG, run_id)
    return time.monotonic()


def scheduler_lost(home: Path, hours: int = 24 * 7, say: Callable[[str], None] = print) -> Outcome:
    """On a two-scheduler platform: one healthy run of the clean DAG (a station's file), then a run of another
    station's file during which the scheduler running a task is killed."""
    settings = load_settings(lake_uri=str(home / "lake"))
    lake = Lake(settings)
    lake.ensure_exists()
    healthy_file, path = air_files(settings)[0][:2]
    config = PlatformConfig.on_free_ports(home / "platform", workers=1, schedulers=2, postgres=True)
    say("scheduler lost: starting the platform with PostgreSQL and two schedulers (about a minute)")
    up(settings, config)
    notes: list[str] = []
    try:
        api = AirflowApi(config)
        api.unpause(DAG)
        schedulers = [p for p in read_started(config.state_file) if p.name in config.scheduler_names()]
        started = _land_and_trigger(api, lake, healthy_file, hours, "healthy")
        healthy = api.wait_for_run(DAG, "healthy", timeout=600)
        baseline_seconds = time.monotonic() - started
        notes.append(f"the healthy run ended {healthy['state']} in {baseline_seconds:.1f} s")
        started = _land_and_trigger(api, lake, path, hours, "scheduler_lost")
        say(f"scheduler lost: {DAG} triggered again; the scheduler that runs its first task will be killed")
        victim = None
        deadline = time.monotonic() + 300
        while victim is None and time.monotonic() < deadline:
            victim = busy_scheduler(schedulers)
            if victim is not None:
                os.killpg(victim.pid, signal.SIGKILL)
                killed_at = time.monotonic()
                notes.append(f"{victim.name} killed while its executor ran a task")
            time.sleep(0.05)
        if victim is None:
            raise TimeoutError("no scheduler was seen running a task of the run")
        say(f"scheduler lost: {victim.name} killed; waiting for the other to finish the run")
        run = api.wait_for_run(DAG, "scheduler_lost", timeout=900)
        finished = time.monotonic()
        tries = {t["task_id"]: t["try_number"] for t in api.task_instances(DAG, "scheduler_lost")}
        notes.append(f"the run ended {run['state']}; tries per task: {tries}")
    finally:
        down(config)
        if config.postgres is not None:
            config.postgres.remove()
    clean = delta.read_table(lake, lake.layout.table(CLEAN.zone, CLEAN.name))
    ledger = read_ledger(lake, CLEAN.name)
    entry = ledger[ledger["source_file"] == path.name]
    notes.append(f"the ledger accounts for {int(entry['rows_in'].sum())} of the {hours} rows landed")
    distinct = len(clean[list(CLEAN.key)].drop_duplicates())
    expected = int(ledger["rows_clean"].sum())  # both files' clean rows, as the ledger counted them
    return Outcome(
        "scheduler lost mid-run",
        "1 of 2 Airflow schedulers",
        len(clean),
        max(0, expected - distinct),
        len(clean) - distinct,
        run["state"] == "success" and len(entry) > 0,
        finished - killed_at,
        finished - started,
        baseline_seconds,
        None,
        notes,
    )
