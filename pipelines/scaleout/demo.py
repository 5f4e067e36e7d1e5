"""`make scale-demo`: every node-loss scenario at full size, the speed on 1, 2 and 4 worker hosts, the tables."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from pipelines.config import PROJECT_ROOT
from pipelines.scaleout.outcome import Outcome, table
from pipelines.scaleout.scenarios import FULL, Workload, host_cut_off, hosts_speed, storage_scenarios
from pipelines.scaleout.scheduler_loss import scheduler_lost
from pipelines.scaleout.storage_cluster import StorageCluster

RESULTS = PROJECT_ROOT / "var" / "scale"


def speed_table(seconds: dict[int, float]) -> str:
    one = seconds[min(seconds)]
    lines = [f"{'worker hosts':>12} {'seconds':>8} {'speed-up':>9}"]
    lines += [f"{hosts:>12} {s:>8.1f} {one / s:>9.2f}" for hosts, s in sorted(seconds.items())]
    return "\n".join(lines)


def write_results(outcomes: list[Outcome], workload: Workload, speed: dict[int, float]) -> Path:
    """var/scale/results.json (every figure and note) and results.md (the tables and the notes); the Markdown path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "results.json").write_text(
        json.dumps(
            {
                "workload": asdict(workload),
                "outcomes": [asdict(o) | {"passed": o.passed} for o in outcomes],
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
    markdown = RESULTS / "results.md"
    markdown.write_text(
        f"# make scale-demo\n\n{workload.stations} stations x {workload.hours} hours\n\n```\n{table(outcomes)}\n```\n\n"
        + "\n".join(notes)
        + f"\n\nThe clean and marts steps on 1, 2 and 4 worker hosts (one thread each, {os.cpu_count()} cores on this machine):\n\n```\n{speed_table(speed)}\n```\n"
    )
    return markdown


def run_scale_demo(workload: Workload = FULL, keep: bool = False, say: Callable[[str], None] = print) -> list[Outcome]:
    """Start the storage cluster (bootstrapped on first use under var/scale/ceph), run every scenario, print the
    table, write var/scale/results.{json,md}, and stop the cluster (delete it too unless `keep`)."""
    cluster = StorageCluster()
    say(
        f"starting the storage cluster: 1 monitor, 1 manager, {cluster.config.osds} OSDs, {cluster.config.gateways} gateways, nginx (about 30 s)"
    )
    cluster.start()
    try:
        outcomes = storage_scenarios(cluster, workload, say)
    finally:
        cluster.stop() if keep else cluster.purge()
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=RESULTS) as scratch:
        outcomes.append(host_cut_off(Path(scratch), workload, say=say))
        outcomes.append(scheduler_lost(Path(scratch), say=say))
        speed = hosts_speed(Path(scratch), workload, say=say)
    say(table(outcomes))
    say(speed_table(speed))
    say(f"written: {write_results(outcomes, workload, speed).relative_to(PROJECT_ROOT)}")
    return outcomes
