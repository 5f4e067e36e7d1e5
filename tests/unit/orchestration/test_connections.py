"""Settings from Airflow connections; which stations an asset-triggered run rebuilds."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from pipelines.config import load_settings
from pipelines.orchestration.air_quality import stations_to_rebuild
from pipelines.orchestration.connections import overrides_from_connections


@dataclass
class FakeConnection:
    login: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    extra_dejson: dict = field(default_factory=dict)


@dataclass
class FakeEvent:
    extra: dict


def test_lake_and_dask_connections_override_the_environment() -> None:
    lake = FakeConnection("AK", "SK", extra_dejson={"endpoint_url": "http://minio:9000", "lake_uri": "s3://city/lake"})
    overrides = overrides_from_connections(lake, FakeConnection(host="dask-scheduler", port=8786))
    assert overrides == {
        "s3_access_key_id": "AK",
        "s3_secret_access_key": "SK",
        "s3_endpoint_url": "http://minio:9000",
        "lake_uri": "s3://city/lake",
        "dask_scheduler_address": "tcp://dask-scheduler:8786",
    }
    settings = load_settings(**overrides)
    assert (settings.s3_key, settings.s3_secret, settings.lake_on_s3) == ("AK", "SK", True)
    assert "SK" not in repr(settings)  # secrets are not printed


def test_absent_connections_change_nothing() -> None:
    assert overrides_from_connections(None, None) == {}


def test_stations_to_rebuild() -> None:
    events = {"clean": [FakeEvent({"partitions": ["B", "A"]}), FakeEvent({"partitions": ["C"]}), FakeEvent({})]}
    assert stations_to_rebuild(None, events) == ["A", "B", "C"]
    assert stations_to_rebuild(["Z", "Z"], events) == ["Z"]
    assert stations_to_rebuild([], None) is None


def test_the_pseudonym_key_comes_from_its_connection(monkeypatch) -> None:
    from pipelines.orchestration import hooks

    found = {"citylake_pseudonym": FakeConnection(password="not-a-secret-from-the-connection")}
    monkeypatch.setattr(hooks, "optional_connection", lambda conn_id: found.get(conn_id))
    monkeypatch.delenv("CITYLAKE_PSEUDONYM_KEY", raising=False)
    assert hooks.task_settings().pseudonym_key.get_secret_value() == "not-a-secret-from-the-connection"
    found.clear()
    assert hooks.task_settings().pseudonym_key is None


def test_an_hourly_poll_before_the_first_delivery_is_skipped_not_failed(monkeypatch, settings) -> None:
    from contextlib import nullcontext

    from airflow.sdk.exceptions import AirflowSkipException

    from pipelines.orchestration import feeds

    monkeypatch.setattr(feeds, "task_cluster", lambda: nullcontext((settings, None)))
    monkeypatch.setattr(feeds, "task_settings", lambda *_: settings)  # the lake of this test, not var/lake
    with pytest.raises(
        AirflowSkipException, match=r"no raw files for source air_beijing: deliver files to .*/landing/air_beijing"
    ):
        feeds.clean("air_beijing", "scheduled__2026-11-24T00:00:00+00:00")


def test_the_ingest_task_uses_its_narrower_lake_user_where_one_is_set_up(monkeypatch) -> None:
    from pipelines.orchestration import hooks

    lake = {"endpoint_url": "http://minio:9000", "lake_uri": "s3://citylake"}
    found = {
        "citylake_lake": FakeConnection("pipelines", "p-secret", extra_dejson=lake),
        "citylake_lake_ingest": FakeConnection("ingest", "i-secret", extra_dejson=lake),
        "citylake_dask": FakeConnection(host="dask-scheduler", port=8786),
    }
    monkeypatch.setattr(hooks, "optional_connection", lambda conn_id: found.get(conn_id))
    assert hooks.task_settings("citylake_lake_ingest").s3_key == "ingest"
    assert hooks.task_settings().s3_key == "pipelines"
    del found["citylake_lake_ingest"]
    assert hooks.task_settings("citylake_lake_ingest").s3_key == "pipelines"  # not set up: the lake user stands
    # the Dask connection may name another lake connection for its workers
    found["city_b_lake"] = FakeConnection("city-b", "b-secret", extra_dejson=lake)
    found["citylake_dask"] = FakeConnection(host="dask-scheduler", port=8786, extra_dejson={"lake_conn_id": "city_b_lake"})
    settings = hooks.task_settings()
    assert (settings.s3_key, settings.dask_scheduler_address) == ("city-b", "tcp://dask-scheduler:8786")


def test_the_dask_hook_connects_to_its_scheduler_and_its_test_button_says_so(monkeypatch) -> None:
    from distributed import LocalCluster

    from pipelines.orchestration import hooks

    found: dict[str, FakeConnection] = {}
    monkeypatch.setattr(hooks, "optional_connection", lambda conn_id: found.get(conn_id))
    hook = hooks.DaskHook()
    assert hook.test_connection() == (False, "connection 'citylake_dask' names no scheduler: tasks would start a LocalCluster")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        found["citylake_dask"] = FakeConnection(extra_dejson={"address": cluster.scheduler_address})
        assert hook.test_connection() == (True, f"scheduler {cluster.scheduler_address} with 1 worker(s)")
        with hook.get_conn() as client:
            assert client.scheduler.address == cluster.scheduler_address
            assert client.submit(sum, [1, 2, 3]).result() == 6
    ok, message = hook.test_connection()  # the scheduler is gone
    assert not ok and message.startswith(f"cannot reach the scheduler at {cluster.scheduler_address}")
