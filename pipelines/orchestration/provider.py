"""CityLake as an Airflow provider: registers the `dask` connection type (the Dask hook) with Airflow's UI.

Found through the `apache_airflow_provider` entry point in pyproject.toml; "package-name" must be the
distribution's name.
"""

from __future__ import annotations

from typing import Any


def get_provider_info() -> dict[str, Any]:
    """What Airflow's ProvidersManager reads from this package."""
    return {
        "package-name": "citylake",
        "name": "CityLake",
        "description": "The smart-city data lake's Dask connection and lake page.",
        "connection-types": [
            {"connection-type": "dask", "hook-class-name": "pipelines.orchestration.hooks.DaskHook"},
        ],
    }
