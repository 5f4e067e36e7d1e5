"""Settings for a task: the environment, overridden by the Airflow connections `citylake_lake` and `citylake_dask`.

`citylake_lake` (type aws): login = access key id, password = secret key, extra = {"endpoint_url": ...,
"region_name": ..., "lake_uri": "s3://bucket/prefix"}. `citylake_dask`: host[:port] of the Dask scheduler
(extra {"address": "tcp://..."} also works). Either may be absent: the environment's settings stand.
Only called inside running tasks, never at DAG parse time.
"""

from __future__ import annotations

import logging
from typing import Any

from pipelines.config import Settings, load_settings

log = logging.getLogger(__name__)
LAKE_CONN_ID = "citylake_lake"
DASK_CONN_ID = "citylake_dask"
PSEUDONYM_CONN_ID = "citylake_pseudonym"  # password = the pseudonymisation key


def _connection(conn_id: str) -> Any | None:
    """An Airflow connection, or None when it is not defined."""
    from airflow.sdk import BaseHook

    try:
        return BaseHook.get_connection(conn_id)
    except Exception as exc:  # the SDK raises AirflowNotFoundException (its import path moves between versions)
        if type(exc).__name__ != "AirflowNotFoundException":
            raise
        return None


def overrides_from_connections(lake: Any | None, dask: Any | None) -> dict[str, object]:
    """Settings overrides read from the two connections (either may be None)."""
    overrides: dict[str, object] = {}
    if lake is not None:
        extra = lake.extra_dejson or {}
        if lake.login:
            overrides["s3_access_key_id"] = lake.login
        if lake.password:
            overrides["s3_secret_access_key"] = lake.password
        if extra.get("endpoint_url"):
            overrides["s3_endpoint_url"] = extra["endpoint_url"]
        if extra.get("region_name"):
            overrides["s3_region"] = extra["region_name"]
        if extra.get("lake_uri"):
            overrides["lake_uri"] = extra["lake_uri"]
    if dask is not None:
        extra = dask.extra_dejson or {}
        address = extra.get("address") or (f"tcp://{dask.host}:{dask.port or 8786}" if dask.host else None)
        if address:
            overrides["dask_scheduler_address"] = address
    return overrides


def task_settings() -> Settings:
    """The settings a task runs with."""
    overrides = overrides_from_connections(_connection(LAKE_CONN_ID), _connection(DASK_CONN_ID))
    pseudonym = _connection(PSEUDONYM_CONN_ID)
    if pseudonym is not None and pseudonym.password:
        overrides["pseudonym_key"] = pseudonym.password
    if overrides:
        log.info("settings from Airflow connections: %s", ", ".join(sorted(overrides)))
    return load_settings(**overrides)
