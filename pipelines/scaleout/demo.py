"""`make scale-demo`: every node-loss scenario at full size, the speed on 1, 2 and 4 worker hosts, the tables.

The storage scenarios and the scheduler's run the air job; a host is cut off under the air job and under the
traffic job (whose training spreads 30 tasks over the hosts); both jobs are timed on 1, 2 and 4 hosts."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from pipelines.config import PROJECT_ROOT
from pipelines.scaleout.jobs import AIR, JOBS
from pipelines.scaleout.outcome import Outcome, table
from pipelines.scaleout.scenarios import host_cut_off, hosts_speed, storage_scenarios
from pipelines.scaleout.scheduler_loss import scheduler_lost
from pipelines.scaleout.storage_cluster import StorageCluster

RESULTS = PROJECT_ROOT / "var" / "scale"


def speed_table(seconds: dict[str, dict[int, float]]) -> str:
    """Each job's seconds on 1, 2 and 4 worker hosts, and the speed-up over one host."""
    lines = [f"{'job':<8} {'worker hosts':>12} {'seconds':>8} {'speed-up':>9}"]
    for job, by_hosts in seconds.items():
        one = by_hosts[min(by_hosts)]
        lines += [f"{job:<8} {hosts:>12} {s:>8.1f} {one / s:>9.2f}" for hosts, s in sorted(by_hosts.items())]
    return "\n".join(lines)


def write_results(outcomes: list[Outcome], reduced: bool, speed: dict[str, dict[int, float]]) -> Path:
    """var/scale/results.json (every figure and note) and results.md (the tables and the notes); the Markdown path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    workloads = {name: asdict(job.workload(reduced)) for name, job in JOBS.items()}
    (RESULTS / "results.json").write_text(
        json.dumps(
            {
                "workloads": workloads,
                "outcomes": [asdict(o) | {"passed": o.passed, "rows_per_second": o.rows_per_second} for o in outcomes],
                "hosts_seconds": speed,
            },
            indent=2,
        )
    )
    notes = [
        f"- {o.scenario}: {note}"
        for o in outcomes
        for note in ([*o.notes, f"first attempt failed: {o.first_error}"] if o.first_error else o.notes)
    ]
    sizes = "; ".join(f"{name}: {w['series']} series x {w['hours']} hours" for name, w in workloads.items())
    markdown = RESULTS / "results.md"
    markdown.write_text(
        f"# make scale-demo\n\n{sizes}\n\n```\n{table(outcomes)}\n```\n\n"
        + "\n".join(notes)
        + f"\n\nEach job's cluster work on 1, 2 and 4 worker hosts (one thread each, {os.cpu_count()} cores on this "
        + f"machine):\n\n```\n{speed_table(speed)}\n```\n"
    )
    return markdown


def run_scale_demo(reduced: bool = False, keep: bool = False, say: Callable[[str], None] = print) -> list[Outcome]:
    """Start the storage cluster (bootstrapped on first use under var/scale/ceph), run every scenario, print the
    tables, write var/scale/results.{json,md}, and stop the cluster (delete it too unless `keep`)."""
    cluster = StorageCluster()
    say(
        f"starting the storage cluster: 1 monitor, 1 manager, {cluster.config.osds} OSDs, "
        f"{cluster.config.gateways} gateways, nginx (about 30 s)"
    )
    cluster.start()
    try:
        outcomes = storage_scenarios(cluster, AIR, AIR.workload(reduced), say)
    finally:
        cluster.stop() if keep else cluster.purge()
    RESULTS.mkdir(parents=True, exist_ok=True)
    speed: dict[str, dict[int, float]] = {}
    with tempfile.TemporaryDirectory(dir=RESULTS) as scratch:
        for job in JOBS.values():
            outcomes.append(host_cut_off(Path(scratch), job, job.workload(reduced), say=say))
        outcomes.append(scheduler_lost(Path(scratch), say=say))
        for job in JOBS.values():
            speed[job.name] = hosts_speed(Path(scratch), job, job.workload(reduced), say=say)
    say(table(outcomes))
    say(speed_table(speed))
    say(f"written: {write_results(outcomes, reduced, speed).relative_to(PROJECT_ROOT)}")
    return outcomes
