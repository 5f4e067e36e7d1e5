"""The Dask cluster a job gets: CityLake's settings reach a LocalCluster as they reach `make up`'s processes; a
task whose result is lost runs again."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
from distributed import Future

from pipelines import compute
from pipelines.compute import WORKER_TTL, Shared, map_with_progress


def test_a_local_cluster_gives_a_silent_workers_tasks_away_after_a_minute(dask_client) -> None:
    assert WORKER_TTL == "60s"
    assert dask_client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.worker_ttl) == 60


def test_its_workers_keep_glibcs_allocator_thresholds(dask_client) -> None:
    import os

    found = dask_client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert len(found) == 2 and set(found.values()) == {None}


def _waits_for_the_go(item: int, markers: str) -> int:
    """Item 1 waits until the test says go: long enough for its task to be lost."""
    go = Path(markers) / "go"
    while item == 1 and not go.exists():
        time.sleep(0.02)
    return item * 10


def _lose(client, prefix: str, times: int, after_each=lambda: None) -> threading.Thread:
    """On its own thread: `times` times, wait until the task whose key starts with `prefix` (map_with_progress's keys
    are <function>-<index>-<random>) is on a worker and cancel it for every client, as the scheduler does with a
    result that was lost with its worker."""

    def lose() -> None:
        for _ in range(times):
            while not (keys := [k for ks in client.processing().values() for k in ks if str(k).startswith(prefix)]):
                time.sleep(0.02)
            client.cancel([Future(keys[0], client)], force=True)
            after_each()

    thread = threading.Thread(target=lose, daemon=True)
    thread.start()
    return thread


def test_a_task_whose_result_is_lost_runs_again(dask_client, tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="pipelines.compute")
    losing = _lose(dask_client, "_waits_for_the_go-1-", 1, lambda: (tmp_path / "go").touch())
    results = map_with_progress(dask_client, _waits_for_the_go, [0, 1, 2, 3], lambda i: f"item {i}", str(tmp_path))
    losing.join(timeout=10)
    assert results == [0, 10, 20, 30]
    lost = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "pipelines.compute"]
    assert lost == ["item 1: lost with a worker (its result or an input it needed); running it again (1/3)"]
    assert sum(r.getMessage().endswith(" done") for r in caplog.records) == 4


def test_a_task_lost_every_time_fails_after_the_resubmits(dask_client, tmp_path, caplog, monkeypatch) -> None:
    from distributed.client import FutureCancelledError

    caplog.set_level(logging.INFO, logger="pipelines.compute")
    monkeypatch.setattr(compute, "RESUBMITS", 2)
    _lose(dask_client, "_waits_for_the_go-0-", 3)
    with pytest.raises(FutureCancelledError):
        map_with_progress(dask_client, _waits_for_the_go, [1], lambda i: f"item {i}", str(tmp_path))
    (tmp_path / "go").touch()  # the runs that were lost end
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "pipelines.compute"] == [
        "item 1: lost with a worker (its result or an input it needed); running it again (1/2)",
        "item 1: lost with a worker (its result or an input it needed); running it again (2/2)",
    ]


def _reads_shared(item: int, table: dict[int, str], markers: str) -> str:
    _waits_for_the_go(item, markers)
    return table[item]


def test_a_shared_input_lost_with_its_workers_is_sent_again(dask_client, tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="pipelines.compute")

    def lose_the_input() -> None:
        while not any(str(k).startswith("_reads_shared-1-") for ks in dask_client.processing().values() for k in ks):
            time.sleep(0.02)
        held = [key for key in dask_client.who_has() if str(key).startswith("dict-")]  # the scattered table
        dask_client.cancel([Future(key, dask_client) for key in held], force=True)  # gone, with the tasks that need it
        (tmp_path / "go").touch()

    losing = threading.Thread(target=lose_the_input, daemon=True)
    losing.start()
    table = {0: "a", 1: "b", 2: "c", 3: "d"}
    results = map_with_progress(dask_client, _reads_shared, [0, 1, 2, 3], lambda i: f"item {i}", Shared(table), str(tmp_path))
    losing.join(timeout=10)
    assert results == ["a", "b", "c", "d"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "pipelines.compute"]
    assert "the workers holding a shared input of _reads_shared are gone: sending it again" in warnings
    assert warnings.count("the workers holding a shared input of _reads_shared are gone: sending it again") == 1
    assert "item 1: lost with a worker (its result or an input it needed); running it again (1/3)" in warnings
