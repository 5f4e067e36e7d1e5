"""Air quality, clean -> curated: hourly and daily AQI (HJ 633-2012) and heavy-pollution episodes."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, dag, task

from pipelines.orchestration import assets
from pipelines.orchestration.task_policy import DASK_POOL, task_defaults

AIR_QUALITY_MARTS = assets.outlets("environment_aqi_marts")

DOC = """
### Air quality: AQI marts

Runs whenever `air_quality_hourly` is published, for the stations that event touched (or for the
stations given in the `stations` parameter when triggered by hand; empty means all). Computes on the
Dask workers, one station per task:

* `curated/air_aqi_hourly`: the real-time AQI of every hour (IAQI per pollutant, AQI, primary pollutants, category);
* `curated/air_aqi_daily`: the daily AQI (24-hour means, O3 daily maximum 1-hour and 8-hour means);
* `curated/air_pollution_episodes`: runs of consecutive hours at or above "heavily polluted" (AQI >= 201).

Contracts: `docs/marts.md`. Each mart is published in one atomic commit replacing only those stations.
"""


@dag(
    dag_id="environment_aqi_marts",
    schedule=[assets.clean("air_quality_hourly")],
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["citylake", "environment", "air-quality", "marts"],
    doc_md=DOC,
    params={"stations": Param([], type="array", description="Stations to rebuild; empty: those the trigger touched, else all")},
    default_args=task_defaults("environment", dt.timedelta(hours=1)),
)
def environment_aqi_marts() -> None:
    @task(outlets=AIR_QUALITY_MARTS, pool=DASK_POOL)
    def build_aqi_marts(*, run_id: str, params=None, triggering_asset_events=None, outlet_events=None) -> dict:
        """Recompute and publish the AQI marts of the touched stations."""
        from pipelines.orchestration import air_quality

        stations = air_quality.stations_to_rebuild((params or {}).get("stations"), triggering_asset_events)
        result = air_quality.build_marts(run_id, stations)
        for asset in AIR_QUALITY_MARTS:
            outlet_events[asset].extra = result[asset.name]
        return result

    build_aqi_marts()


environment_aqi_marts()
