"""Energy and water utilities: daily load profiles of the electricity meters, anomalous periods in the water meters' flow."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, task

from pipelines.orchestration import assets
from pipelines.orchestration.task_policy import task_defaults

OUTLETS = assets.outlets("energy_water_marts")
LOAD_OUTLETS = assets.outlets("energy_load_marts")
SHIFTING_OUTLETS = assets.outlets("energy_shifting_marts")
LINKS_OUTLETS = assets.outlets("energy_links_marts")


@dag(
    dag_id="energy_load_marts",
    schedule=[assets.clean("energy_readings")],
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["citylake", "energy", "electricity", "marts"],
    default_args=task_defaults("energy", dt.timedelta(minutes=30)),
    doc_md="""### Electricity: daily load profiles
Runs when `clean/energy_readings` is published. Per meter and local day: energy, peak and its time, base
load, mean and load factor, weekday or weekend; the readings missing, and the meter copies (runs of readings
equal in every measure to those one day earlier, how gaps get filled by copying) flagged, so that such days
are kept but not learned from (`usable`). Publishes `curated/energy_load_profiles`. Contract: `docs/marts.md`.""",
)
def energy_load_marts() -> None:
    @task(outlets=LOAD_OUTLETS)
    def profile_days(*, run_id: str, outlet_events=None) -> dict:
        """Every meter's days profiled; the mart replaced."""
        from pipelines.orchestration import energy

        result = energy.load_profiles(run_id)
        for asset in LOAD_OUTLETS:
            outlet_events[asset].extra = result
        return result

    profile_days()


@dag(
    dag_id="energy_water_marts",
    schedule=[assets.clean("water_readings")],
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["citylake", "energy", "water", "anomalies"],
    default_args=task_defaults("energy", dt.timedelta(minutes=30)),
    doc_md="""### Water: anomalous periods in metered flow
Runs when `clean/water_readings` is published. Every meter's hourly flow is compared with its seasonal
baseline (the same hour's median over the week around it); runs of hours with a robust score of 4 or more,
peaking at 6 or more, are anomalous periods (`low`: losses or maintenance, `high`: pumping). IsolationForest
reports its periods beside them. Publishes `curated/water_flow_anomalies`. Contract: `docs/marts.md`.""",
)
def energy_water_marts() -> None:
    @task(outlets=OUTLETS)
    def detect_anomalies(*, run_id: str, outlet_events=None) -> dict:
        """Both detectors over every meter; the mart replaced."""
        from pipelines.orchestration import energy

        result = energy.water_anomalies(run_id)
        for asset in OUTLETS:
            outlet_events[asset].extra = result
        return result

    detect_anomalies()


@dag(
    dag_id="energy_shifting_marts",
    schedule=[assets.clean("building_meter_readings")],
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["citylake", "energy", "electricity", "peak-shaving", "marts"],
    default_args=task_defaults("energy", dt.timedelta(minutes=30)),
    doc_md="""### Electricity: peak shaving by shifting load
Runs when `clean/building_meter_readings` is published. For each of the latest days, every building's
flexible share of electricity (from its energy audit) is moved within the window (06:00-22:00 local) by a
linear program (HiGHS) so that the portfolio's peak is lowest. Publishes `curated/energy_load_shifting`:
per building and 15 minutes the flexible load before and after, and the group's peak before and after.""",
)
def energy_shifting_marts() -> None:
    @task(outlets=SHIFTING_OUTLETS)
    def plan_shifting(*, run_id: str, outlet_events=None) -> dict:
        """The latest days planned; those days' partitions replaced."""
        from pipelines.orchestration import energy

        result = energy.load_shifting(run_id)
        for asset in SHIFTING_OUTLETS:
            outlet_events[asset].extra = {k: v for k, v in result.items() if k != "days"}
        return result

    plan_shifting()


@dag(
    dag_id="energy_links_marts",
    schedule=(assets.clean("building_meter_readings") | assets.clean("utility_bills")),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["citylake", "energy", "correlation", "marts"],
    default_args=task_defaults("energy", dt.timedelta(minutes=30)),
    doc_md="""### Energy: utilities that move together
Runs when `clean/building_meter_readings` or `clean/utility_bills` is published. Per building: every pair of
electricity, heat, gas, water and the outdoor temperature, hourly and daily, at lag 0 and at the lag where they
move together most, with 95 % intervals on the effective sample size. Per utility account: gas use against
heating degree-days (use per degree-day, base use). Publishes `curated/energy_utility_links`.""",
)
def energy_links_marts() -> None:
    @task(outlets=LINKS_OUTLETS)
    def correlate_utilities(*, run_id: str, outlet_events=None) -> dict:
        """Both inputs' links; the mart replaced."""
        from pipelines.orchestration import energy

        result = energy.utility_links(run_id)
        for asset in LINKS_OUTLETS:
            outlet_events[asset].extra = {k: v for k, v in result.items() if k != "degree_days"}
        return result

    correlate_utilities()


energy_links_marts()
energy_load_marts()
energy_shifting_marts()
energy_water_marts()
