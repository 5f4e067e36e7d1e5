"""Noise and surface water, clean -> curated: day and night levels against GB 3096-2008, daily classes by GB 3838-2002."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, task

from pipelines.orchestration import assets
from pipelines.orchestration.task_policy import task_defaults

OUTLETS = assets.outlets("environment_noise_water_marts")


@dag(
    dag_id="environment_noise_water_marts",
    schedule=(assets.clean("noise_levels") | assets.clean("water_quality_samples")),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["citylake", "environment", "noise", "water-quality", "marts"],
    default_args=task_defaults("environment", dt.timedelta(minutes=30)),
    doc_md="""### Noise and surface water: exceedances and classes
Runs when `clean/noise_levels` or `clean/water_quality_samples` is published. Publishes
`curated/noise_exceedances` (Ld and Ln per sensor and local date against its zone's GB 3096-2008 limits, the
night-maximum rule) and `curated/water_quality_class` (each station-day's GB 3838-2002 class and its limiting
parameters). Contracts: `docs/marts.md`.""",
)
def environment_noise_water_marts() -> None:
    @task(outlets=OUTLETS)
    def build_marts(*, run_id: str, outlet_events=None) -> dict:
        """Recompute both marts from their clean datasets."""
        from pipelines.orchestration import noise_water

        result = noise_water.build_marts(run_id)
        for asset in OUTLETS:
            outlet_events[asset].extra = result.get(asset.name, {"rows": 0, "note": "its input is not published yet"})
        return result

    build_marts()


environment_noise_water_marts()
