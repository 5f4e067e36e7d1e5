"""Node loss for real (pipelines.scaleout): a replicated store, Ceph with three storage daemons, two S3 gateways and
nginx in front, on loopback. The air-quality job runs while one storage daemon, then one gateway, is killed; the
lake must hold exactly what a run on the whole cluster holds, every raw file must match its manifest while the
daemon is down and after, and the cluster must heal to all placement groups active+clean. Then the Dask workers of
the air job, and of the traffic job (curate, train and compare the forecasters), run on two "hosts" (network
namespaces) and one host's link is taken down mid-job: the outputs must be identical to the whole cluster's. Last,
Airflow runs two schedulers on PostgreSQL and the one running a task of the clean DAG is killed: the other
finishes the run.

The reduced form of `make scale-demo` (air: two stations, two weeks; traffic: six sensors, three days). Needs root,
Debian's Ceph and nginx packages and PostgreSQL (`.ci/run` installs them); without them each test is skipped,
and fails instead when CITYLAKE_REQUIRE_S3 is set, as in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from pipelines.metadata_db import LocalPostgres, MetadataDbError, postgres_binary
from pipelines.platform import free_port
from pipelines.scaleout import scenarios, scheduler_loss
from pipelines.scaleout.jobs import AIR, JOBS, TRAFFIC
from pipelines.scaleout.storage_cluster import StorageCluster, StorageClusterConfig, missing_commands

pytestmark = [pytest.mark.slow, pytest.mark.s3]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StorageCluster]:
    missing = missing_commands()
    if missing or os.geteuid() != 0:
        message = f"the storage cluster needs root and {', '.join(missing) or 'nothing else'}"
        if os.environ.get("CITYLAKE_REQUIRE_S3"):
            pytest.fail(message)
        pytest.skip(message)
    config = StorageClusterConfig(
        base=tmp_path_factory.mktemp("ceph"),
        mon_port=free_port(),
        mon_port_v2=free_port(),
        gateway_ports=(free_port(), free_port()),
        balancer_port=free_port(),
    )
    store = StorageCluster(config)
    try:
        store.start()
        yield store
    finally:
        stopped = store.stop()
        assert sorted(stopped) == ["balancer", "gateway.0", "gateway.1", "mgr", "mon", "osd.0", "osd.1", "osd.2"]


@pytest.fixture(scope="module")
def healthy_run(cluster: StorageCluster):
    return scenarios.baseline(cluster, AIR, AIR.reduced)


def test_storage_daemon_lost_mid_run(cluster, healthy_run, scenario) -> None:
    assert {name: len(frame) for name, frame in healthy_run.outputs.items()} == {"air_quality_hourly": 2 * 24 * 14}
    outcome = scenarios.storage_daemon_lost(cluster, healthy_run)
    scenario.record(outcome.passed, outcome.rows_lost, outcome.duplicates, outcome.run_seconds, "; ".join(outcome.notes))
    scenario.assert_all_passed()
    assert (outcome.rows, outcome.identical, outcome.first_error) == (AIR.rows(AIR.reduced), True, None)
    assert outcome.notes[0] == "osd.2 killed during the run"
    assert outcome.notes[1].startswith("while down: 2 of 3 OSDs up, placement groups {'active+undersized")
    assert outcome.notes[2:] == [
        "while down: 2 raw files read back against their manifests, 0 problems",
        "after recovery: 2 raw files match their manifests, 0 problems",
    ]
    assert cluster.placement_groups() == {"active+clean": sum(cluster.placement_groups().values())}
    assert outcome.recovery_seconds is not None and outcome.recovery_seconds > 0


def test_gateway_lost_mid_publish(cluster, healthy_run, scenario) -> None:
    outcome = scenarios.gateway_lost(cluster, healthy_run)
    scenario.record(outcome.passed, outcome.rows_lost, outcome.duplicates, outcome.run_seconds, "; ".join(outcome.notes))
    scenario.assert_all_passed()
    assert (outcome.rows, outcome.identical) == (AIR.rows(AIR.reduced), True)
    assert outcome.notes[0] == "gateway.0 killed during the run"
    assert outcome.notes[1].startswith("air_quality_hourly has ") and outcome.notes[1].endswith(
        " versions, each readable: a commit is whole or absent"
    )
    assert cluster.gateway_answers(0) and cluster.gateway_answers(1)


# The rows each job's outputs hold at the reduced size: air, its clean table; traffic, the curated readings (6 sensors
# x 3 days x 288 five-minute steps), the leaderboard (5 models x 3 horizons) and the factors (2 models x 3 x 6).
OUTPUT_ROWS = {"air": 2 * 24 * 14, "traffic": 6 * 3 * 288 + 5 * 3 + 2 * 3 * 6}


@pytest.mark.parametrize("job", [AIR, TRAFFIC], ids=lambda job: job.name)
def test_host_cut_off_mid_job(tmp_path, scenario, job) -> None:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        if os.environ.get("CITYLAKE_REQUIRE_S3"):
            pytest.fail("network namespaces need root and iproute2")
        pytest.skip("network namespaces need root and iproute2")
    outcome = scenarios.host_cut_off(tmp_path, job, job.reduced, hosts=2)
    scenario.record(outcome.passed, outcome.rows_lost, outcome.duplicates, outcome.run_seconds, "; ".join(outcome.notes))
    scenario.assert_all_passed()
    assert sorted(JOBS) == sorted(OUTPUT_ROWS)
    assert (outcome.scenario, outcome.rows, outcome.identical) == (
        f"{job.name}: host cut off mid-job",
        OUTPUT_ROWS[job.name],
        True,
    )
    assert outcome.notes == ["host2 cut off during the run", "workers left: 1 of 2"]
    assert subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.count("cl-") == 0


def test_scheduler_lost_mid_run(tmp_path, scenario) -> None:
    try:
        postgres_binary("postgres")
    except MetadataDbError as exc:
        if os.environ.get("CITYLAKE_REQUIRE_S3"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    outcome = scheduler_loss.scheduler_lost(tmp_path, hours=24 * 7)
    scenario.record(outcome.passed, outcome.rows_lost, outcome.duplicates, outcome.run_seconds, "; ".join(outcome.notes))
    scenario.assert_all_passed()
    assert (outcome.rows, outcome.identical) == (2 * 24 * 7, True)
    assert outcome.notes[0].startswith("the healthy run ended success in ")
    assert outcome.notes[1] in (
        "airflow-scheduler killed while its executor ran a task",
        "airflow-scheduler-2 killed while its executor ran a task",
    )
    assert outcome.notes[2].startswith("the run ended success; tries per task: {")
    assert outcome.notes[3] == "the ledger accounts for 168 of the 168 rows landed"
    assert not LocalPostgres(tmp_path / "platform", 0).data_dir.exists()  # the throwaway metadata is gone
