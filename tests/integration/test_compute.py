"""The Dask cluster a job gets: CityLake's settings reach a LocalCluster as they reach `make up`'s processes."""

from __future__ import annotations

from pipelines.compute import WORKER_TTL


def test_a_local_cluster_gives_a_silent_workers_tasks_away_after_a_minute(dask_client) -> None:
    assert WORKER_TTL == "60s"
    assert dask_client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.worker_ttl) == 60


def test_its_workers_keep_glibcs_allocator_thresholds(dask_client) -> None:
    import os

    found = dask_client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert len(found) == 2 and set(found.values()) == {None}
