"""Public safety: crime hotspots from the clean incidents (association rules between case and offender
attributes follow in this file once the case-record feeds land)."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, dag, task

from pipelines.orchestration.assets import CRIME_HOTSPOTS, CRIME_INCIDENTS


@dag(
    dag_id="public_safety_hotspots", schedule=[CRIME_INCIDENTS], start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False, max_active_runs=1, tags=["citylake", "public_safety", "marts"],
    default_args={"owner": "public_safety", "retries": 2, "retry_delay": dt.timedelta(minutes=2)},
    params={
        "granularity": Param("year", enum=["year", "quarter", "month"], description="Length of a period"),
        "min_group_size": Param(1, type="integer", minimum=1, description="Cells with fewer incidents are suppressed"),
    },
    doc_md="""### Public safety: crime hotspots
Runs when `clean/crime_incidents` is published (and by hand, with another period length or
suppression threshold). Counts incidents per police district x local hour x weekday and period on the
Dask workers (one delivered file per task), with each cell's count in the period before and the change;
cells below `min_group_size` keep their row with the numbers suppressed. Publishes
`curated/crime_hotspots` (partitioned by period) in one commit. Contract: `docs/marts.md`.""",
)
def public_safety_hotspots() -> None:
    @task(outlets=[CRIME_HOTSPOTS])
    def count_hotspots(*, run_id: str, params=None, outlet_events=None) -> dict:
        """Count per cell and period, compare with the period before, publish."""
        from pipelines.orchestration import public_safety

        params = params or {}
        result = public_safety.build_hotspots(run_id, params.get("granularity", "year"), int(params.get("min_group_size", 1)))
        outlet_events[CRIME_HOTSPOTS].extra = {k: result[k] for k in ("rows", "partitions", "suppressed", "incidents")}
        return result

    count_hotspots()


public_safety_hotspots()
