"""The Dask hook: where a task's heavy work runs, and the lake credentials the workers need.

A connection of type `dask` (default id `citylake_dask`) names the scheduler: host and port
(default 8786), or extra {"address": "tcp://..."}. Its extra may also name the lake connection whose
credentials the workers get (`lake_conn_id`, default `citylake_lake`). With no Dask connection the
environment's setting stands; with none at all a task starts a LocalCluster of its own.
The hook lives in the importable package, not in dags/, as Airflow's docs advise for hooks; the
`citylake` provider (pyproject's entry point) registers the connection type in the UI.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook

from pipelines.compute import dask_client
from pipelines.config import Settings, load_settings
from pipelines.orchestration.connections import (
    DASK_CONN_ID,
    LAKE_CONN_ID,
    PSEUDONYM_CONN_ID,
    optional_connection,
    overrides_from_connections,
)

if TYPE_CHECKING:
    import distributed


log = logging.getLogger(__name__)


class DaskHook(BaseHook):
    """A Dask client for a task, configured from the Dask and lake connections."""

    conn_name_attr = "dask_conn_id"
    default_conn_name = DASK_CONN_ID
    conn_type = "dask"
    hook_name = "Dask scheduler (CityLake)"

    def __init__(self, dask_conn_id: str = DASK_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dask_conn_id = dask_conn_id

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The connection form: scheduler host and port; the lake connection's id in extra."""
        return {
            "hidden_fields": ["schema", "login", "password"],
            "relabeling": {"host": "Scheduler host", "port": "Scheduler port"},
            "placeholders": {"host": "dask-scheduler", "port": "8786", "extra": '{"lake_conn_id": "citylake_lake"}'},
        }

    def settings(self, lake_conn_id: str | None = None) -> Settings:
        """The settings a task runs with: the environment, overridden by the connections that exist.

        `lake_conn_id` asks for a narrower lake user (the ingest task's); where that connection does not
        exist, the lake connection named by the Dask connection (default `citylake_lake`) stands.
        """
        dask = optional_connection(self.dask_conn_id)
        default_lake = ((dask.extra_dejson or {}) if dask is not None else {}).get("lake_conn_id", LAKE_CONN_ID)
        lake = optional_connection(lake_conn_id) if lake_conn_id else None
        overrides = overrides_from_connections(lake if lake is not None else optional_connection(default_lake), dask)
        pseudonym = optional_connection(PSEUDONYM_CONN_ID)
        if pseudonym is not None and pseudonym.password:
            overrides["pseudonym_key"] = pseudonym.password
        if overrides:
            log.info("settings from Airflow connections: %s", ", ".join(sorted(overrides)))
        return load_settings(**overrides)

    @contextmanager
    def get_conn(self, settings: Settings | None = None) -> Iterator[distributed.Client]:
        """A Dask client on the configured scheduler (else a LocalCluster), closed on exit."""
        with dask_client(settings or self.settings()) as client:
            yield client

    def test_connection(self) -> tuple[bool, str]:
        """The UI's Test button: reach the scheduler and count its workers (what the doctor checks too)."""
        from pipelines.compute import scheduler_state

        settings = self.settings()
        if not settings.dask_scheduler_address:
            return False, f"connection {self.dask_conn_id!r} names no scheduler: tasks would start a LocalCluster"
        workers, message = scheduler_state(settings.dask_scheduler_address, settings.io_timeout_seconds)
        return bool(workers), message


def task_settings(lake_conn_id: str | None = None) -> Settings:
    """The settings a task runs with (called inside running tasks, never at DAG parse time)."""
    return DaskHook().settings(lake_conn_id)


@contextmanager
def task_cluster() -> Iterator[tuple[Settings, distributed.Client]]:
    """What a task that needs the cluster works with: its settings and a client, both through the Dask hook."""
    hook = DaskHook()
    settings = hook.settings()
    with hook.get_conn(settings) as client:
        yield settings, client
