"""The Airflow connections CityLake reads, and the settings overrides they carry (`hooks.DaskHook` applies them).

`citylake_lake` (type aws): login = access key id, password = secret key, extra = {"endpoint_url": ...,
"region_name": ..., "lake_uri": "s3://bucket/prefix"}. `citylake_dask`: host[:port] of the Dask scheduler
(extra {"address": "tcp://..."} also works). Either may be absent: the environment's settings stand.
Only read inside running tasks, never at DAG parse time.
"""

from __future__ import annotations

from typing import Any

LAKE_CONN_ID = "citylake_lake"
INGEST_LAKE_CONN_ID = "citylake_lake_ingest"  # the ingest task's narrower lake user, where one is set up
DASK_CONN_ID = "citylake_dask"
PSEUDONYM_CONN_ID = "citylake_pseudonym"  # password = the pseudonymisation key


def optional_connection(conn_id: str) -> Any | None:
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
