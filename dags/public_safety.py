"""Public safety: crime hotspots from the clean incidents, association rules between case and offender attributes."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, dag, task

from pipelines.orchestration import assets
from pipelines.orchestration.task_policy import DASK_POOL, task_defaults


@dag(
    dag_id="public_safety_hotspots",
    schedule=[assets.clean("crime_incidents")],
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["citylake", "public_safety", "marts"],
    default_args=task_defaults("public_safety", dt.timedelta(hours=1)),
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
    outlets = assets.outlets("public_safety_hotspots")

    @task(outlets=outlets, pool=DASK_POOL)
    def count_hotspots(*, run_id: str, params=None, outlet_events=None) -> dict:
        """Count per cell and period, compare with the period before, publish."""
        from pipelines.orchestration import public_safety

        params = params or {}
        result = public_safety.build_hotspots(run_id, params.get("granularity", "year"), int(params.get("min_group_size", 1)))
        for asset in outlets:
            outlet_events[asset].extra = {k: result[k] for k in ("rows", "partitions", "suppressed", "incidents")}
        return result

    count_hotspots()


public_safety_hotspots()


@dag(
    dag_id="public_safety_rules",
    schedule=[assets.clean("case_records"), assets.clean("case_persons")],
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["citylake", "public_safety", "mining", "marts"],
    default_args=task_defaults("public_safety", dt.timedelta(hours=2)),
    params={
        "period": Param(
            "", type="string", description="2025, 2025-Q1 or 2025-03 (local time); empty: the year with the most cases"
        ),
        "window_hours": Param(72, type="integer", minimum=1, description="Hotel stays before / flights after a case that count"),
        "min_support": Param(0.005, type="number", exclusiveMinimum=0, maximum=1),
        "min_confidence": Param(0.5, type="number", exclusiveMinimum=0, maximum=1),
        "min_lift": Param(1.5, type="number", minimum=0),
        "min_group_size": Param(10, type="integer", minimum=1, description="k: rules seen in fewer cases are not published"),
    },
    doc_md="""### Public safety: association rules between case and offender attributes
Runs when both `clean/case_records` and `clean/case_persons` have been published, and by hand for any
period with other thresholds. One basket per case (case type, time of day, day type, district; each
offender's age band, sex, occupation, prior record, residence; vehicles; hotel stays before and flights
after the case within `window_hours`, joined by pseudonymised id-card number), built month by month on
the Dask workers; exact frequent itemsets on the cluster; rules whose consequent is an offender attribute
or a crime type, above the thresholds, improving on every shorter rule. Publishes `curated/crime_rules`
for the period, with every parameter; rules seen in fewer than `min_group_size` cases are suppressed.""",
)
def public_safety_rules() -> None:
    outlets = assets.outlets("public_safety_rules")

    @task(outlets=outlets, pool=DASK_POOL)
    def mine_association_rules(*, run_id: str, params=None, outlet_events=None) -> dict:
        """Baskets, itemsets, rules, publish."""
        from pipelines.orchestration import public_safety

        result = public_safety.mine_rules(run_id, dict(params or {}))
        for asset in outlets:
            outlet_events[asset].extra = {k: result[k] for k in ("partitions", "baskets", "rules", "suppressed_small_groups")}
        return result

    mine_association_rules()


public_safety_rules()
