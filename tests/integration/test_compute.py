"""The Dask cluster a job gets: CityLake's settings reach a LocalCluster as they reach `make up`'s processes; a
task whose result is lost runs again."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
from distributed import Future
from distributed.client import FutureCancelledError

from pipelines import compute
from pipelines.compute import WORKER_TTL, Shared, map_with_progress


def test_a_local_cluster_gives_a_silent_workers_tasks_away_after_a_minute(dask_client) -> None:
    assert WORKER_TTL == "60s"
    assert dask_client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.worker_ttl) == 60


def test_a_local_cluster_waits_for_a_restarting_worker_instead_of_closing_its_nanny(dask_client) -> None:
    """Dask's 15 s closed a nanny for good when a worker was lost twice 15 s apart (its restart in between)."""
    import dask
    from dask.utils import parse_timedelta

    assert parse_timedelta(dask.config.get("distributed.deploy.lost-worker-timeout")) == 900
    assert len(dask_client.scheduler_info()["workers"]) == 2


def test_its_workers_keep_glibcs_allocator_thresholds(dask_client) -> None:
    import os

    found = dask_client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert len(found) == 2 and set(found.values()) == {None}


def test_numpy_in_its_workers_asks_for_no_transparent_huge_pages(dask_client) -> None:
    import numpy as np

    def asks() -> bool:
        return bool(np._core.multiarray._get_madvise_hugepage())

    found = dask_client.run(asks)
    assert len(found) == 2 and set(found.values()) == {False}


def _waits_for_the_go(item: int, markers: str) -> int:
    """Item 1 waits until the test says go (at most 30 s, so that no worker is held for good): long enough for its
    task to be lost."""
    go, deadline = Path(markers) / "go", time.monotonic() + 30
    while item == 1 and not go.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return item * 10


def _scheduler_keys(client, prefix: str) -> list[str]:
    """The keys the scheduler holds whose names start with `prefix`, whatever their state (queued, running, done)."""
    keys = client.run_on_scheduler(lambda dask_scheduler: [str(k) for k in dask_scheduler.tasks])
    return sorted(k for k in keys if k.startswith(prefix))


def _lose(client, prefix: str, times: int, after_each=lambda: None) -> threading.Thread:
    """On its own thread: `times` times, wait for a new task whose key starts with `prefix` (map_with_progress's keys
    are <function>-<index>-<random>) and cancel it for every client, as the scheduler does with a result that was
    lost with its worker. Each key is cancelled once; a queued task is found as well as a running one. Keys the
    scheduler still holds from an earlier test (the same function, the same index) are left alone."""
    earlier = set(_scheduler_keys(client, prefix))

    def lose() -> None:
        lost: set[str] = set()
        while len(lost) < times:
            fresh = [k for k in _scheduler_keys(client, prefix) if k not in lost and k not in earlier]
            if not fresh:
                time.sleep(0.02)
                continue
            client.cancel([Future(fresh[0], client)], force=True)
            lost.add(fresh[0])
            after_each()

    thread = threading.Thread(target=lose, daemon=True)
    thread.start()
    return thread


def test_a_task_whose_result_is_lost_runs_again(dask_client, tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="pipelines.compute")
    losing = _lose(dask_client, "_waits_for_the_go-1-", 1, lambda: (tmp_path / "go").touch())
    try:
        results = map_with_progress(dask_client, _waits_for_the_go, [0, 1, 2, 3], lambda i: f"item {i}", str(tmp_path))
    finally:
        (tmp_path / "go").touch()
    losing.join(timeout=10)
    assert results == [0, 10, 20, 30]
    lost = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "pipelines.compute"]
    assert lost == ["item 1: lost with a worker (its result or an input it needed); running it again (1/3)"]
    assert sum(r.getMessage().endswith(" done") for r in caplog.records) == 4


def _reads_shared(item: int, table: dict[int, str], markers: str) -> str:
    _waits_for_the_go(item, markers)
    return table[item]


def test_a_shared_input_lost_with_its_workers_is_sent_again(dask_client, tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="pipelines.compute")

    def lose_the_input() -> None:
        while not _scheduler_keys(dask_client, "_reads_shared-1-"):
            time.sleep(0.02)
        held = [key for key in dask_client.who_has() if str(key).startswith("dict-")]  # the scattered table
        dask_client.cancel([Future(key, dask_client) for key in held], force=True)  # gone, with the tasks that need it
        (tmp_path / "go").touch()

    losing = threading.Thread(target=lose_the_input, daemon=True)
    losing.start()
    table = {0: "a", 1: "b", 2: "c", 3: "d"}
    try:
        results = map_with_progress(dask_client, _reads_shared, [0, 1, 2, 3], lambda i: f"item {i}", Shared(table), str(tmp_path))
    finally:
        (tmp_path / "go").touch()
    losing.join(timeout=10)
    assert results == ["a", "b", "c", "d"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "pipelines.compute"]
    assert "the workers holding a shared input of _reads_shared are gone: sending it again" in warnings
    assert warnings.count("the workers holding a shared input of _reads_shared are gone: sending it again") == 1
    assert "item 1: lost with a worker (its result or an input it needed); running it again (1/3)" in warnings


def test_a_task_lost_more_often_than_it_may_be_run_again_fails_the_map(dask_client, tmp_path, caplog, monkeypatch) -> None:
    """The give-up branch, with no resubmits allowed: the first loss ends the map with the scheduler's error."""
    monkeypatch.setattr(compute, "RESUBMITS", 0)
    caplog.set_level(logging.INFO, logger="pipelines.compute")
    losing = _lose(dask_client, "_waits_for_the_go-1-", 1)
    try:
        with pytest.raises(FutureCancelledError):
            map_with_progress(dask_client, _waits_for_the_go, [0, 1, 2, 3], lambda i: f"item {i}", str(tmp_path))
    finally:
        (tmp_path / "go").touch()
    losing.join(timeout=10)
    assert [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "pipelines.compute"] == []


def _scatter_failing(client, monkeypatch, failures: int) -> list[int]:
    """Make the client's scatter fail `failures` times as it does when the worker receiving the data dies (a closed
    connection), then send for real; the returned list counts the attempts."""
    from distributed.comm.core import CommClosedError

    real, attempts = client.scatter, []

    def scatter(*args, **kwargs):
        attempts.append(1)
        if len(attempts) <= failures:
            raise CommClosedError("in <TCP (closed) ConnectionPool.scatter>: Stream is closed")
        return real(*args, **kwargs)

    monkeypatch.setattr(client, "scatter", scatter)
    return attempts


def test_a_shared_input_whose_worker_leaves_during_the_transfer_is_sent_again(dask_client, monkeypatch, caplog) -> None:
    caplog.set_level(logging.INFO, logger="pipelines.compute")
    attempts = _scatter_failing(dask_client, monkeypatch, failures=2)
    table = {0: "a", 1: "b", 2: "c"}
    results = map_with_progress(dask_client, _reads_shared, [0, 2], lambda i: f"item {i}", Shared(table), "/nonexistent")
    assert results == ["a", "c"] and len(attempts) == 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "pipelines.compute"]
    assert warnings == [
        "sending a shared input of _reads_shared failed (CommClosedError: in <TCP (closed) ConnectionPool.scatter>: "
        f"Stream is closed): a worker left during the transfer; sending it again ({n}/3)"
        for n in (1, 2)
    ]


def test_a_shared_input_that_cannot_be_sent_fails_the_map_with_the_last_error(dask_client, monkeypatch) -> None:
    attempts = _scatter_failing(dask_client, monkeypatch, failures=99)
    with pytest.raises(compute.SharedInputNotSent) as failed:
        map_with_progress(dask_client, _reads_shared, [0], lambda i: f"item {i}", Shared({0: "a"}), "/nonexistent")
    assert len(attempts) == 4
    assert str(failed.value) == (
        "the shared input of _reads_shared could not be sent to the workers in 4 attempts: "
        "CommClosedError: in <TCP (closed) ConnectionPool.scatter>: Stream is closed"
    )


def test_a_shared_input_goes_to_one_worker_not_by_broadcast(dask_client) -> None:
    """Broadcast copies through the scheduler's replicate, which retries a worker that died mid-copy for ever."""
    future = compute.send_shared(dask_client, Shared({0: "a"}), "test")
    assert len(dask_client.who_has([future])[future.key]) == 1
    assert future.result() == {0: "a"}
