"""Node loss for real: a job (pipelines.scaleout.jobs: air, traffic) runs while a storage daemon, a gateway or a
worker host is lost.

Each scenario runs the whole job (ingest the landed files, then its cluster work: clean on Dask, marts, training)
into its own lake (a bucket of the storage cluster, pipelines.scaleout.storage_cluster, or a folder), takes a node
away in the middle, and compares the job's output tables with those of a run on the whole cluster:

- **storage daemon lost**: one of the three OSDs is killed (SIGKILL) as soon as a worker runs the job's main task
  (`Job.busy_with`). The run goes on with two copies of everything; every raw file is read back and checked
  against its manifest while the daemon is down; the daemon is started again, and the recovery time is how long
  until the manager reports every placement group active+clean.
- **gateway lost**: one of the two S3 gateways is killed as soon as a worker runs the job's main task; the balancer
  sends the work to the other. The run completes, or fails with an error and a rerun completes; no half-written
  table is visible.
- **host cut off**: the job's Dask workers run on "hosts", network namespaces of this machine
  (pipelines.scaleout.hosts), the scheduler on another; the last host's link is taken down as soon as its worker
  runs the job's main task. The scheduler drops the unreachable worker and its tasks run on the others.

The same work on 1, 2 and 4 worker hosts is timed as well (`hosts_speed`).

"Rows lost" are the baseline's rows missing from the scenario's output tables (matched on each table's declared
key), "duplicates" the rows beyond the distinct keys: both must be 0, and the tables must be identical.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import distributed
import pandas as pd

from pipelines.compute import dask_client, runs_function
from pipelines.config import Settings, load_settings
from pipelines.lake import delta
from pipelines.lake.ingest import audit_raw_files
from pipelines.lake.storage import Lake
from pipelines.scaleout.hosts import HostNetwork
from pipelines.scaleout.jobs import Job, Workload
from pipelines.scaleout.outcome import Outcome
from pipelines.scaleout.storage_cluster import StorageCluster


def job_settings(cluster: StorageCluster, bucket: str, dask_workers: int = 2) -> Settings:
    access, secret = cluster.credentials()
    return load_settings(
        lake_uri=f"s3://{bucket}",
        s3_endpoint_url=cluster.config.endpoint,
        s3_access_key_id=access,
        s3_secret_access_key=secret,
        io_timeout_seconds=30,
        io_max_retries=8,
        io_connect_timeout_seconds=3,
        dask_workers=dask_workers,
    )


NodeLoss = Callable[[distributed.Client, threading.Event], None]  # given the job's cluster and its "finished" event


def run_job(
    job: Job, settings: Settings, run_id: str, node_loss: NodeLoss | None = None, client: distributed.Client | None = None
) -> None:
    """The job as its DAGs run it: its client steps, then its cluster work on `client`'s cluster (else a local one).
    `node_loss` watches the cluster work on its own thread: where a scenario takes a node away."""
    job.on_client(settings, run_id)
    finished = threading.Event()
    with contextlib.nullcontext(client) if client is not None else dask_client(settings) as cluster:
        if node_loss is not None:
            threading.Thread(target=node_loss, args=(cluster, finished), daemon=True).start()
        try:
            job.on_cluster(settings, run_id, cluster)
        finally:
            finished.set()


def _run_with_one_retry(job: Job, settings: Settings, run_id: str, node_loss: NodeLoss) -> tuple[float, str | None]:
    """Run the job; if it fails, the error it gave and a rerun (as Airflow's retry would). The seconds of both."""
    started = time.monotonic()
    try:
        run_job(job, settings, run_id, node_loss)
        return time.monotonic() - started, None
    except Exception as exc:  # the outcome under test: a clean failure, then a rerun that completes
        error = f"{type(exc).__name__}: {str(exc)[:200]}"
    run_job(job, settings, f"{run_id}-rerun")
    return time.monotonic() - started, error


def running(client: distributed.Client, task: str, host: str | None = None) -> bool:
    """Whether a worker (on `host`, an address, else any) has a task of the function `task` to run now."""
    processing = client.processing()
    return any(
        runs_function(key, task) for worker, keys in processing.items() if host is None or f"//{host}:" in worker for key in keys
    )


def when_running(job: Job, action: Callable[[], None], fired: threading.Event, host: str | None = None) -> NodeLoss:
    """A node loss that calls `action` once a worker (on `host`, else any) runs the job's main task (`busy_with`):
    the node goes while the work is under way, not after a guessed delay. Nothing happens if the job ends first."""

    def watch(client: distributed.Client, finished: threading.Event) -> None:
        while not finished.is_set():
            if running(client, job.busy_with, host):
                action()
                fired.set()
                return
            time.sleep(0.05)

    return watch


def _audit(job: Job, settings: Settings) -> tuple[int, list[str]]:
    """Every raw file of the job's feeds read back and checked against its manifest: (files, problems)."""
    lake = Lake(settings)
    checked, problems = 0, list[str]()
    for feed in job.feeds:
        files, found = audit_raw_files(lake, feed)
        checked, problems = checked + files, problems + found
    return checked, problems


@dataclass(frozen=True)
class HealthyRun:
    """A job's run on the whole cluster: what the runs with a node lost are compared with."""

    job: Job
    workload: Workload
    outputs: dict[str, pd.DataFrame]
    seconds: float


def baseline(cluster: StorageCluster, job: Job, workload: Workload) -> HealthyRun:
    """The job on the whole cluster: its output tables and its seconds."""
    settings = job_settings(cluster, f"scale-baseline-{uuid.uuid4().hex[:8]}")
    job.land(settings, workload)
    started = time.monotonic()
    run_job(job, settings, "baseline")
    return HealthyRun(job, workload, job.read_outputs(settings), time.monotonic() - started)


def storage_daemon_lost(cluster: StorageCluster, healthy: HealthyRun, say: Callable[[str], None] = print) -> Outcome:
    """Kill one OSD while a worker runs the job's main task; read everything back while it is down; start it again
    and time the recovery to all placement groups active+clean."""
    job = healthy.job
    settings = job_settings(cluster, f"scale-osd-{uuid.uuid4().hex[:8]}")
    job.land(settings, healthy.workload)
    victim = f"osd.{cluster.config.osds - 1}"
    killed = threading.Event()
    say(f"storage daemon lost: running the {job.name} job, {victim} killed while a worker runs its {job.busy_with}")
    seconds, error = _run_with_one_retry(job, settings, "osd-lost", when_running(job, lambda: cluster.kill(victim), killed))
    notes = [f"{victim} killed {'during' if killed.is_set() else 'AFTER (the job was faster than the kill)'} the run"]
    cluster.wait_settled()  # right after the kill the placement groups may still be peering
    states = cluster.placement_groups()
    notes.append(f"while down: {cluster.osds_up()} of {cluster.config.osds} OSDs up, placement groups {states}")
    checked, problems = _audit(job, settings)
    notes.append(f"while down: {checked} raw files read back against their manifests, {len(problems)} problems")
    notes += [f"PROBLEM {p}" for p in problems]
    found = job.read_outputs(settings)
    say(f"storage daemon lost: starting {victim} again, waiting for every placement group active+clean")
    restarted = time.monotonic()
    cluster.start_osd(int(victim.split(".")[1]))
    cluster.wait_whole(timeout=600)
    recovery = time.monotonic() - restarted
    checked, problems = _audit(job, settings)
    notes.append(f"after recovery: {checked} raw files match their manifests, {len(problems)} problems")
    notes += [f"PROBLEM {p}" for p in problems]
    outage = f"1 of {cluster.config.osds} OSDs"
    return Outcome.compared(
        f"{job.name}: storage daemon lost mid-run",
        outage,
        job,
        healthy.outputs,
        found,
        (recovery, seconds, healthy.seconds),
        error,
        notes,
    )


def gateway_lost(cluster: StorageCluster, healthy: HealthyRun, say: Callable[[str], None] = print) -> Outcome:
    """Kill one S3 gateway while a worker runs the job's main task; the balancer carries on with the other."""
    job = healthy.job
    settings = job_settings(cluster, f"scale-gw-{uuid.uuid4().hex[:8]}")
    job.land(settings, healthy.workload)
    killed = threading.Event()
    say(f"gateway lost: running the {job.name} job, gateway.0 killed while a worker runs its {job.busy_with}")
    seconds, error = _run_with_one_retry(
        job, settings, "gateway-lost", when_running(job, lambda: cluster.kill("gateway.0"), killed)
    )
    notes = [f"gateway.0 killed {'during' if killed.is_set() else 'AFTER'} the run"]
    found = job.read_outputs(settings)
    lake = Lake(settings)
    for table in job.outputs:
        location = lake.layout.table(table.zone, table.name)
        versions = delta.table_version(lake, location)
        for version in range(versions + 1):
            delta.open_table(lake, location, as_of=version).to_pyarrow_table()
        notes.append(f"{table.name} has {versions + 1} versions, each readable: a commit is whole or absent")
    restarted = time.monotonic()
    cluster.start_gateway(0)
    cluster.wait_whole(timeout=120)
    seconds_of = (time.monotonic() - restarted, seconds, healthy.seconds)
    return Outcome.compared(
        f"{job.name}: gateway lost mid-publish", "1 of 2 S3 gateways", job, healthy.outputs, found, seconds_of, error, notes
    )


def host_cut_off(home: Path, job: Job, workload: Workload, hosts: int = 2, say: Callable[[str], None] = print) -> Outcome:
    """The job on `hosts` worker hosts (network namespaces), once whole and once with the last host's link taken
    down while a worker runs the job's main task; the two lakes' output tables compared. Recovery is the time from the cut to
    the job finishing without the host (the scheduler drops it after the hosts' worker-ttl)."""
    network = HostNetwork(home / f"hosts-{job.name}", hosts)
    say(f"host cut off: {hosts} worker hosts and a scheduler host in network namespaces, the {job.name} job")
    network.up()
    try:
        with distributed.Client(network.scheduler_address) as client:
            job.warm(client)
            whole = load_settings(lake_uri=str(home / f"lake-whole-{uuid.uuid4().hex[:8]}"))
            job.land(whole, workload)
            started = time.monotonic()
            run_job(job, whole, "whole", client=client)
            baseline_seconds = time.monotonic() - started
            expected = job.read_outputs(whole)
            cut = load_settings(lake_uri=str(home / f"lake-cut-{uuid.uuid4().hex[:8]}"))
            job.land(cut, workload)
            done = threading.Event()
            cut_at: list[float] = []

            def cut_last_host() -> None:
                cut_at.append(time.monotonic())
                network.cut_off(hosts)

            say(f"host cut off: running the {job.name} job, host{hosts}'s link taken down while it runs a {job.busy_with}")
            started = time.monotonic()
            run_job(job, cut, "cut", when_running(job, cut_last_host, done, network.address(hosts)), client=client)
            ended = time.monotonic()
            notes = [
                f"host{hosts} cut off {'during' if done.is_set() else 'AFTER'} the run",
                f"workers left: {len(client.scheduler_info()['workers'])} of {hosts}",
            ]
    finally:
        network.down()
    found = job.read_outputs(cut)
    recovery = ended - cut_at[0] if cut_at else None  # from the cut to the job done without the host
    seconds = (recovery, ended - started, baseline_seconds)
    return Outcome.compared(
        f"{job.name}: host cut off mid-job", f"1 of {hosts} worker hosts", job, expected, found, seconds, None, notes
    )


def hosts_speed(
    home: Path, job: Job, workload: Workload, counts: tuple[int, ...] = (1, 2, 4), say: Callable[[str], None] = print
) -> dict[int, float]:
    """The job's cluster work on 1, 2 and 4 worker hosts (one thread each): seconds. Each count's workers first run
    the job once on a lake of their own, so that the timed run finds them as a long-lived cluster's are: each
    worker's first-use costs (imports, the suites, Great Expectations' context, templates) paid."""
    seconds: dict[int, float] = {}
    for hosts in counts:
        network = HostNetwork(home / f"speed-{job.name}-{hosts}", hosts)
        network.up()
        try:
            with distributed.Client(network.scheduler_address) as client:
                job.warm(client)
                lakes = [
                    load_settings(lake_uri=str(home / f"lake-speed-{job.name}-{hosts}-{run}")) for run in ("warm-up", "timed")
                ]
                for settings in lakes:
                    job.land(settings, workload)
                    job.on_client(settings, "speed")
                    started = time.monotonic()
                    job.on_cluster(settings, "speed", client)
                    seconds[hosts] = time.monotonic() - started
        finally:
            network.down()
        say(f"{job.name} on {hosts} worker host(s): {seconds[hosts]:.1f} s")
    return seconds


def storage_scenarios(cluster: StorageCluster, job: Job, workload: Workload, say: Callable[[str], None] = print) -> list[Outcome]:
    """Both storage scenarios on a started cluster, after one baseline run."""
    say(f"baseline: the {job.name} job on the whole cluster ({workload.series} series x {workload.hours} hours)")
    healthy = baseline(cluster, job, workload)
    return [storage_daemon_lost(cluster, healthy, say), gateway_lost(cluster, healthy, say)]
