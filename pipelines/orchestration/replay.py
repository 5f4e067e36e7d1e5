"""Replay past hours through a DAG: one DAG run per hour, each with that hour as its logical date, in order.

A city replays to show (and to check) what its hourly DAGs would have done: each run's data interval ends at its
hour, and the tasks work as of it (see `forecast_dags.run_hour`), so the lake gets what the runs would have published
then. The runs are real DAG runs in the metadata database (the Airflow UI lists them), executed in this process by
Airflow's own `dag.test` loop: no scheduler, no wall-clock waits. A run that triggers another DAG (a retraining on
drift) leaves a queued run; it is executed here too, before the next hour, at the logical date it was given.

Run with the project's Airflow environment: `python -m pipelines.orchestration.replay DAG_ID --start ISO --hours N`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pipelines.compute import dask_client
from pipelines.config import load_settings

HOUR = dt.timedelta(hours=1)


class ReplayError(RuntimeError):
    """A replayed run did not succeed; the message names the DAG, the hour and the failed tasks."""


def replay_hours(start: dt.datetime, hours: int) -> list[dt.datetime]:
    """The logical dates of a replay: `hours` whole UTC hours from `start` (rounded down to its hour)."""
    if hours < 1:
        raise ValueError(f"a replay needs at least one hour, not {hours}")
    first = start.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return [first + i * HOUR for i in range(hours)]


def _dags() -> dict[str, Any]:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag()
    if bag.import_errors:
        raise ReplayError(f"the DAG folder does not import: {bag.import_errors}")
    return bag.dags


def _run(dag: Any, logical_date: dt.datetime, conf: dict[str, Any]) -> Any:
    """One DAG run at the logical date, executed in this process; raises when a task failed."""
    run = dag.test(logical_date=logical_date, run_conf=conf)
    tasks = run.get_task_instances()
    if not tasks:
        raise ReplayError(f"{dag.dag_id} at {logical_date.isoformat()} ran no task: is that before the DAG's start_date?")
    failed = [ti.task_id for ti in tasks if ti.state in ("failed", "upstream_failed")]
    if run.state != "success" or failed:
        raise ReplayError(f"{dag.dag_id} at {logical_date.isoformat()} ended {run.state}; failed tasks: {failed}")
    return run


def _queued_runs(dag_ids: Sequence[str]) -> list[tuple[str, dt.datetime, dict[str, Any]]]:
    """Runs other DAGs queued (a TriggerDagRunOperator) at a logical date, oldest first: dag id, logical date, conf.
    (A run queued without one is left to the scheduler.)"""
    from airflow.models.dagrun import DagRun
    from airflow.utils.state import DagRunState

    queued = DagRun.find(dag_id=list(dag_ids), state=DagRunState.QUEUED)
    return sorted(((r.dag_id, r.logical_date, dict(r.conf or {})) for r in queued if r.logical_date), key=lambda run: run[1])


@contextmanager
def _one_cluster_for_all_runs() -> Iterator[None]:
    """The configured Dask scheduler; else one LocalCluster that every replayed task uses (not one per task)."""
    settings = load_settings()
    if settings.dask_scheduler_address:
        yield
        return
    with dask_client(settings) as client:
        os.environ["CITYLAKE_DASK_SCHEDULER_ADDRESS"] = str(client.scheduler_info()["address"])
        try:
            yield
        finally:
            os.environ.pop("CITYLAKE_DASK_SCHEDULER_ADDRESS", None)


def replay(dag_id: str, start: dt.datetime, hours: int, conf: dict[str, Any]) -> dict[str, Any]:
    """Run `dag_id` once per hour from `start`, and whatever those runs trigger; a summary of what ran."""
    dags = _dags()
    if dag_id not in dags:
        raise ReplayError(f"no DAG {dag_id!r} in the DAG folder")
    others = [d for d in dags if d != dag_id]
    ran: dict[str, int] = {}
    began = time.monotonic()
    schedule = replay_hours(start, hours)
    for n, hour in enumerate(schedule, start=1):
        _run(dags[dag_id], hour, conf)
        ran[dag_id] = ran.get(dag_id, 0) + 1
        for other, logical_date, other_conf in _queued_runs(others):
            print(
                f"    {other} triggered at {logical_date.isoformat()} ({other_conf.get('reason', 'no reason given')})", flush=True
            )
            _run(dags[other], logical_date, other_conf)
            ran[other] = ran.get(other, 0) + 1
        elapsed = time.monotonic() - began
        print(f"    replayed {hour:%Y-%m-%d %H:%M}Z ({n}/{len(schedule)}, {elapsed:.0f} s)", flush=True)
    return {"dag_id": dag_id, "from": schedule[0].isoformat(), "to": schedule[-1].isoformat(), "runs": ran}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dag_id")
    parser.add_argument("--start", required=True, help="first hour, ISO 8601 (naive: UTC)")
    parser.add_argument("--hours", type=int, required=True)
    parser.add_argument("--conf", default="{}", help="the runs' conf (JSON), e.g. their params")
    args = parser.parse_args(argv)
    start = dt.datetime.fromisoformat(args.start)
    start = start if start.tzinfo else start.replace(tzinfo=dt.UTC)
    try:
        with _one_cluster_for_all_runs():
            print(json.dumps(replay(args.dag_id, start, args.hours, json.loads(args.conf))), flush=True)
    except ReplayError as exc:
        print(f"ERROR {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
