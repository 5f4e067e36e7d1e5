"""`citylake doctor`: each check's finding and fix, on working and on broken set-ups."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.config import load_settings
from pipelines.doctor import (
    Check,
    check_dask,
    check_data_dir,
    check_lake,
    check_pseudonym_key,
    report,
    small_read_check,
    small_read_seconds,
)
from pipelines.lake.storage import Lake


def test_a_writable_lake_is_ok_and_leaves_no_probe(settings) -> None:
    check = check_lake(settings)
    assert check == Check("lake", "ok", f"directory {settings.lake_uri}: write, read and delete work")
    assert list((Path(settings.lake_uri) / "_meta" / "doctor").iterdir()) == []


def test_small_reads_of_an_s3_lake_are_timed_and_slow_ones_named_with_their_likely_cause(settings) -> None:
    works = "S3 bucket s3://city/lake: write, read and delete work"
    assert small_read_check(works, 0.004) == Check("lake", "ok", f"{works}; a small read takes 4 ms")
    assert small_read_check(works, 0.020) == Check("lake", "ok", f"{works}; a small read takes 20 ms")
    slow = small_read_check(works, 0.0481)
    assert (slow.status, slow.detail) == (
        "warn",
        f"{works}, but a small read takes 48 ms (over 20 ms): each BI query waits that long several times before it "
        "reads any data",
    )
    assert "tcp_nodelay=1" in slow.fix and "Nagle" in slow.fix
    lake = Lake(settings)
    lake.ensure_exists()
    lake.write_bytes(f"{settings.lake_uri}/_meta/doctor/small", b"x")
    assert 0 < small_read_seconds(lake, f"{settings.lake_uri}/_meta/doctor/small", times=3) < 1


def test_an_unwritable_lake_says_where_and_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("not a directory")
    settings = load_settings(lake_uri=str(tmp_path / "a_file" / "lake"))
    check = check_lake(settings)
    assert check.status == "fail"
    assert check.detail.startswith(f"cannot write to the directory {tmp_path}/a_file/lake: ")
    assert check.fix == f"make {tmp_path}/a_file/lake writable, or set CITYLAKE_LAKE_URI"


def test_dask_without_a_scheduler_with_one_and_with_a_dead_one(settings, dask_client) -> None:
    assert check_dask(settings).detail == "no scheduler configured: each task starts a LocalCluster on its own machine"
    address = dask_client.scheduler.address
    assert check_dask(load_settings(dask_scheduler_address=address)) == Check(
        "dask", "ok", f"scheduler {address} with 2 worker(s)"
    )
    dead = check_dask(load_settings(dask_scheduler_address="tcp://127.0.0.1:1", io_timeout_seconds=2))
    assert dead.status == "fail" and dead.detail.startswith("cannot reach the scheduler at tcp://127.0.0.1:1: ")
    assert dead.fix.startswith("start it (`dask scheduler`, then `dask worker <address>`)")


def test_missing_data_and_key_are_warnings_with_their_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CITYLAKE_PSEUDONYM_KEY", raising=False)
    settings = load_settings(data_dir=tmp_path)
    assert check_data_dir(settings).detail == f"no public data in {tmp_path}: the demos run on SYNTHETIC data"
    key = check_pseudonym_key(settings)
    assert (key.status, key.detail) == (
        "warn",
        "not configured: the feeds cases, case_persons, case_vehicles, hotel_stays, flights will fail",
    )
    assert check_pseudonym_key(load_settings(pseudonym_key="k")).detail == "configured (its value is never shown)"


def test_report_lines() -> None:
    text = report([Check("lake", "ok", "fine"), Check("dask", "fail", "down", "start it"), Check("data", "warn", "none", "")])
    assert text.splitlines() == [
        "[ok  ] lake           fine",
        "[FAIL] dask           down",
        "                      fix: start it",
        "[WARN] data           none",
        "",
        "1 problem(s), 1 warning(s)",
    ]


def test_the_platform_check_finds_stopped_processes_and_its_scheduler(tmp_path) -> None:
    import json
    import subprocess

    import psutil

    from pipelines.doctor import check_platform
    from pipelines.platform import PlatformConfig
    from pipelines.processes import Started

    config = PlatformConfig(home=tmp_path)
    assert [(c.name, c.status) for c in check_platform(config)] == [("platform", "ok")]  # not running: fine

    running = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        worker = Started(
            "dask-worker-1",
            running.pid,
            psutil.Process(running.pid).create_time(),
            "w.log",
            ["dask", "worker", "tcp://127.0.0.1:1", "--name", "worker-1"],
        )
        gone = Started("airflow-scheduler", 999_999, 1.0, str(tmp_path / "airflow-scheduler.log"), ["airflow", "scheduler"])
        config.state_file.write_text(json.dumps([worker.__dict__, gone.__dict__]))
        [finding] = check_platform(config)
        assert (finding.status, finding.detail) == (
            "fail",
            "1 of the 2 processes `make up` started have stopped: airflow-scheduler",
        )
        assert finding.fix == f"read {tmp_path / 'airflow-scheduler.log'}, then `make down` and `make up`"

        config.state_file.write_text(json.dumps([worker.__dict__]))
        platform, dask = check_platform(config)
        assert (platform.status, dask.name, dask.status) == ("ok", "platform dask", "fail")  # nothing listens on port 1
        assert dask.detail.startswith("cannot reach the scheduler at tcp://127.0.0.1:1")
    finally:
        running.kill()
