"""Node loss for real: the air-quality job runs while a storage daemon, a gateway or a worker host is lost.

Each scenario runs the whole job (ingest the landed station files, clean them on Dask, build the marts) into its
own bucket of the storage cluster (pipelines.scaleout.storage_cluster), takes a node away in the middle, and
compares what the lake holds afterwards with a run on the whole cluster:

- **storage daemon lost**: one of the three OSDs is killed (SIGKILL) as the clean step starts. The run goes on
  with two copies of everything; every raw file is read back and checked against its manifest while the daemon is
  down; the daemon is started again, and the recovery time is how long until the manager reports every placement
  group active+clean.
- **gateway lost**: one of the two S3 gateways is killed as the clean step starts; the balancer sends the work to
  the other. The run completes, or fails with an error and a rerun completes; no half-written table is visible.
- **host cut off**: the job's Dask workers run on "hosts", network namespaces of this machine
  (pipelines.scaleout.hosts), the scheduler on another; the last host's link is taken down as the clean step
  starts. The scheduler drops the unreachable worker and its tasks run on the others.

The same work on 1, 2 and 4 worker hosts is timed as well (`hosts_speed`).

"Rows lost" are the baseline's clean rows missing from the scenario's table, "duplicates" the rows beyond the
distinct ones: both must be 0, and the clean tables must be identical.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import distributed
import pandas as pd

from pipelines.compute import dask_client
from pipelines.config import Settings, load_settings
from pipelines.demo import air_files, first_lines
from pipelines.domains.environment import pipeline
from pipelines.lake import delta
from pipelines.lake.ingest import audit_raw_files
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake
from pipelines.scaleout.hosts import HostNetwork
from pipelines.scaleout.outcome import CLEAN, KEY, Outcome
from pipelines.scaleout.storage_cluster import StorageCluster

ARRIVED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Workload:
    """How much of the real (or synthetic) station data a scenario lands: `stations` files of `hours` rows."""

    stations: int
    hours: int

    @property
    def rows(self) -> int:
        return self.stations * self.hours


REDUCED = Workload(stations=2, hours=24 * 14)
FULL = Workload(stations=6, hours=24 * 365)


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


def land(settings: Settings, workload: Workload) -> None:
    """Put the first `hours` rows of `stations` station files in the air feed's landing folder."""
    lake = Lake(settings)
    lake.ensure_exists()
    files, _ = air_files(settings)
    for path in files[: workload.stations]:
        lake.write_bytes(f"{lake.layout.landing_dir(pipeline.SOURCE_NAME)}/{path.name}", first_lines(path, workload.hours))


def run_job(
    settings: Settings, run_id: str, when_cleaning: Callable[[], None] = lambda: None, client: distributed.Client | None = None
) -> None:
    """The air-quality job as its DAGs run it: ingest, clean on Dask (`client`'s cluster, else a local one), the
    marts. `when_cleaning` is called (on its own thread) as the clean step starts: where a scenario takes a node
    away."""
    pipeline.ingest(settings, run_id, ARRIVED)
    with contextlib.nullcontext(client) if client is not None else dask_client(settings) as cluster:
        threading.Thread(target=when_cleaning, daemon=True).start()
        pipeline.clean(settings, run_id, cluster)
        pipeline.build_marts(settings, run_id, cluster)


def clean_table(settings: Settings) -> pd.DataFrame:
    lake = Lake(settings)
    frame = delta.read_table(lake, lake.layout.table(Zone.CLEAN, CLEAN))
    return frame.sort_values(KEY).reset_index(drop=True)


def _run_with_one_retry(settings: Settings, run_id: str, when_cleaning: Callable[[], None]) -> tuple[float, str | None]:
    """Run the job; if it fails, the error it gave and a rerun (as Airflow's retry would). The seconds of both."""
    started = time.monotonic()
    try:
        run_job(settings, run_id, when_cleaning)
        return time.monotonic() - started, None
    except Exception as exc:  # the outcome under test: a clean failure, then a rerun that completes
        error = f"{type(exc).__name__}: {str(exc)[:200]}"
    run_job(settings, f"{run_id}-rerun")
    return time.monotonic() - started, error


def _after(seconds: float, action: Callable[[], None], done: threading.Event) -> Callable[[], None]:
    def later() -> None:
        time.sleep(seconds)
        action()
        done.set()

    return later


def baseline(cluster: StorageCluster, workload: Workload) -> tuple[pd.DataFrame, float]:
    """The job on the whole cluster: its clean table and its seconds."""
    settings = job_settings(cluster, f"scale-baseline-{uuid.uuid4().hex[:8]}")
    land(settings, workload)
    started = time.monotonic()
    run_job(settings, "baseline")
    return clean_table(settings), time.monotonic() - started


def storage_daemon_lost(
    cluster: StorageCluster, workload: Workload, expected: pd.DataFrame, baseline_seconds: float, say=print
) -> Outcome:
    """Kill one OSD as the clean step starts; read everything back while it is down; start it again and time the
    recovery to all placement groups active+clean."""
    settings = job_settings(cluster, f"scale-osd-{uuid.uuid4().hex[:8]}")
    land(settings, workload)
    victim = f"osd.{cluster.config.osds - 1}"
    killed = threading.Event()
    say(f"storage daemon lost: running the job, {victim} killed as the clean step starts")
    seconds, error = _run_with_one_retry(settings, "osd-lost", _after(0.5, lambda: cluster.kill(victim), killed))
    notes = [f"{victim} killed {'during' if killed.is_set() else 'AFTER (the job was faster than the kill)'} the run"]
    states = cluster.placement_groups()
    notes.append(f"while down: {cluster.osds_up()} of {cluster.config.osds} OSDs up, placement groups {states}")
    checked, problems = audit_raw_files(Lake(settings), pipeline.feed())
    notes.append(f"while down: {checked} raw files read back against their manifests, {len(problems)} problems")
    notes += [f"PROBLEM {p}" for p in problems]
    found = clean_table(settings)
    say(f"storage daemon lost: starting {victim} again, waiting for every placement group active+clean")
    restarted = time.monotonic()
    cluster.start_osd(int(victim.split(".")[1]))
    cluster.wait_whole(timeout=600)
    recovery = time.monotonic() - restarted
    checked, problems = audit_raw_files(Lake(settings), pipeline.feed())
    notes.append(f"after recovery: {checked} raw files match their manifests, {len(problems)} problems")
    notes += [f"PROBLEM {p}" for p in problems]
    return Outcome.compared(
        "storage daemon lost mid-run",
        f"1 of {cluster.config.osds} OSDs",
        expected,
        found,
        recovery,
        seconds,
        baseline_seconds,
        error,
        notes,
    )


def gateway_lost(
    cluster: StorageCluster, workload: Workload, expected: pd.DataFrame, baseline_seconds: float, say=print
) -> Outcome:
    """Kill one S3 gateway as the clean step starts; the balancer carries on with the other."""
    settings = job_settings(cluster, f"scale-gw-{uuid.uuid4().hex[:8]}")
    land(settings, workload)
    killed = threading.Event()
    say("gateway lost: running the job, gateway.0 killed as the clean step starts")
    seconds, error = _run_with_one_retry(settings, "gateway-lost", _after(0.5, lambda: cluster.kill("gateway.0"), killed))
    notes = [f"gateway.0 killed {'during' if killed.is_set() else 'AFTER'} the run"]
    found = clean_table(settings)
    lake = Lake(settings)
    versions = delta.table_version(lake, lake.layout.table(Zone.CLEAN, CLEAN))
    notes.append(f"the clean table has {versions + 1} versions, each readable: a commit is whole or absent")
    for version in range(versions + 1):
        delta.open_table(lake, lake.layout.table(Zone.CLEAN, CLEAN), as_of=version).to_pyarrow_table()
    restarted = time.monotonic()
    cluster.start_gateway(0)
    cluster.wait_whole(timeout=120)
    return Outcome.compared(
        "gateway lost mid-publish",
        "1 of 2 S3 gateways",
        expected,
        found,
        time.monotonic() - restarted,
        seconds,
        baseline_seconds,
        error,
        notes,
    )


def warm(client: distributed.Client) -> None:
    """Import the job's modules on every worker once, so that timings compare work, not interpreter start-up."""
    client.run(importlib.import_module, "pipelines.domains.environment.pipeline")


def host_cut_off(home: Path, workload: Workload, hosts: int = 2, say: Callable[[str], None] = print) -> Outcome:
    """The job on `hosts` worker hosts (network namespaces), once whole and once with the last host's link taken
    down as the clean step starts; the two lakes' clean tables compared. Recovery is the time from the cut to the
    scheduler dropping the worker and the job finishing without it."""
    network = HostNetwork(home / "hosts", hosts)
    say(f"host cut off: {hosts} worker hosts and a scheduler host in network namespaces")
    network.up()
    try:
        with distributed.Client(network.scheduler_address) as client:
            warm(client)
            whole = load_settings(lake_uri=str(home / f"lake-whole-{uuid.uuid4().hex[:8]}"))
            land(whole, workload)
            started = time.monotonic()
            run_job(whole, "whole", client=client)
            baseline_seconds = time.monotonic() - started
            expected = clean_table(whole)
            cut = load_settings(lake_uri=str(home / f"lake-cut-{uuid.uuid4().hex[:8]}"))
            land(cut, workload)
            done = threading.Event()
            cut_at: list[float] = []

            def cut_last_host() -> None:
                cut_at.append(time.monotonic())
                network.cut_off(hosts)

            say(f"host cut off: running the job, host{hosts}'s link taken down as the clean step starts")
            started = time.monotonic()
            run_job(cut, "cut", _after(0.0, cut_last_host, done), client=client)
            ended = time.monotonic()
            seconds = ended - started
            notes = [
                f"host{hosts} cut off {'during' if done.is_set() else 'AFTER'} the run",
                f"workers left: {len(client.scheduler_info()['workers'])} of {hosts}",
            ]
    finally:
        network.down()
    found = clean_table(cut)
    recovery = ended - cut_at[0] if cut_at else None  # from the cut to the job done without the host
    return Outcome.compared(
        "host cut off mid-job", f"1 of {hosts} worker hosts", expected, found, recovery, seconds, baseline_seconds, None, notes
    )


def hosts_speed(
    home: Path, workload: Workload, counts: tuple[int, ...] = (1, 2, 4), say: Callable[[str], None] = print
) -> dict[int, float]:
    """The clean and marts steps of the same landed files on 1, 2 and 4 worker hosts (one thread each): seconds."""
    seconds: dict[int, float] = {}
    for hosts in counts:
        network = HostNetwork(home / f"speed-{hosts}", hosts)
        network.up()
        try:
            settings = load_settings(lake_uri=str(home / f"lake-speed-{hosts}-{uuid.uuid4().hex[:8]}"))
            land(settings, workload)
            pipeline.ingest(settings, "speed", ARRIVED)
            with distributed.Client(network.scheduler_address) as client:
                warm(client)
                started = time.monotonic()
                pipeline.clean(settings, "speed", client)
                pipeline.build_marts(settings, "speed", client)
                seconds[hosts] = time.monotonic() - started
        finally:
            network.down()
        say(f"{hosts} worker host(s): {seconds[hosts]:.1f} s")
    return seconds


def storage_scenarios(cluster: StorageCluster, workload: Workload, say=print) -> list[Outcome]:
    """Both storage scenarios on a started cluster, after one baseline run."""
    say(f"baseline: the job on the whole cluster ({workload.stations} stations x {workload.hours} hours)")
    expected, seconds = baseline(cluster, workload)
    return [
        storage_daemon_lost(cluster, workload, expected, seconds, say),
        gateway_lost(cluster, workload, expected, seconds, say),
    ]
