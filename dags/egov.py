"""E-government: the city's indicators from every other mart each morning; after each publish of them, the weekly
brief and the open-data release."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, dag, task

from pipelines.orchestration import assets
from pipelines.orchestration.task_policy import task_defaults


@dag(
    dag_id="egov_city_indicators",
    schedule="0 6 * * *",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["citylake", "egov", "marts"],
    default_args=task_defaults("egov", dt.timedelta(minutes=30)),
    params={
        "timezone": Param("Asia/Shanghai", type="string", description="the city's civil time: the days of marts kept in UTC"),
        "grace_hours": Param(
            0.0, type="number", minimum=0, description="hours past its expected cadence before a source mart is stale"
        ),
        "congestion_measure": Param(
            "speed_kmh", type="string", description="the measure of traffic_readings_clean congestion is judged on"
        ),
        "congestion_ratio": Param(
            0.6, type="number", exclusiveMinimum=0, maximum=1, description="congested below this share of free-flow speed"
        ),
    },
    doc_md="""### E-government: the city's indicators
Every morning at 06:00 UTC (and by hand): the share of good-air and heavy-pollution days, congestion hours and the
forecast error, crimes per district, urban cases on time, emergency incidents and warnings, the electricity peak and
how much shifting shaves off it, test positivity and outbreak signals, by day, week and month. Each row says its
definition, target, traffic light, and the mart version it was computed from; a mart later than its expected cadence
makes its indicators `stale`. Publishes `curated/city_indicators`. Targets: `pipelines/domains/egov/targets.csv` (or
CITYLAKE_EGOV_TARGETS). Contract: `docs/marts.md`; guide: `docs/egov.md`.""",
)
def egov_city_indicators() -> None:
    outlets = assets.outlets("egov_city_indicators")

    @task(outlets=outlets)
    def compute_indicators(*, run_id: str, params=None, outlet_events=None) -> dict:
        """Read each source mart's current version, compute, judge, publish."""
        from pipelines.orchestration import egov

        result = egov.build_indicators(run_id, params)
        for asset in outlets:
            outlet_events[asset].extra = {k: result[k] for k in ("rows", "indicators", "stale", "red")}
        return result

    compute_indicators()


egov_city_indicators()


@dag(
    dag_id="egov_weekly_brief",
    schedule=[assets.curated("city_indicators")],
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["citylake", "egov", "reports", "open-data"],
    default_args=task_defaults("egov", dt.timedelta(minutes=15)),
    params={
        "publisher": Param("CityLake", type="string", description="who the open-data release names as its publisher"),
        "licence": Param("CC-BY-4.0", type="string", description="the release's licence (SPDX id)"),
        "licence_url": Param("https://creativecommons.org/licenses/by/4.0/", type="string"),
    },
    doc_md="""### E-government: the weekly brief and the open data
Runs when `curated/city_indicators` is published. Renders this ISO week's brief (headline indicators, what changed,
charts, what needs attention) as HTML and PDF into `_meta/reports/weekly_brief/<week>/`, and today's open-data release
of the indicators (CSV, JSON, data dictionary, licence, manifest) into `_meta/open_data/city_indicators/<day>/`. Both
are listed on the lake page.""",
)
def egov_weekly_brief() -> None:
    @task
    def render_brief(*, run_id: str) -> dict:
        """city_indicators -> brief.html and brief.pdf of this week."""
        from pipelines.orchestration import egov

        return egov.publish_brief(run_id)

    @task
    def export_open_data(*, run_id: str, params=None) -> dict:
        """city_indicators -> today's open-data release."""
        from pipelines.orchestration import egov

        return egov.export_open_data(run_id, params)

    render_brief()
    export_open_data()


egov_weekly_brief()
