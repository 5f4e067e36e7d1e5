"""What the mart DAG factory wires: DAGs that rebuild marts when any of their clean datasets is published, with one
task calling one job. Declared here as data (id, inputs, job, documentation); `dags/marts.py` only wires them.

A job is `module:function` under `pipelines.orchestration`, a function of the run id returning an XCom-sized dict;
it is imported inside the task, so parsing the DAG imports nothing heavy. Its result is the outlet events' extra:
per mart when the result is keyed by mart name, else its scalar figures.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from typing import Any

from pipelines.domains.energy import loads


@dataclass(frozen=True)
class MartDag:
    """One marts DAG: which clean datasets trigger it (any of them), which job runs, what it publishes."""

    dag_id: str
    department: str
    inputs: tuple[str, ...]  # clean datasets; a publish of any of them runs the DAG
    job: str  # "module:function" in pipelines.orchestration
    task_id: str
    title: str
    description: str
    tags: tuple[str, ...] = ()
    timeout: dt.timedelta = dt.timedelta(minutes=30)
    params: tuple[tuple[str, Any, str], ...] = ()  # (name, default, what it sets): the DAG's params, passed to the job

    @property
    def doc_md(self) -> str:
        triggers = " or ".join(f"`clean/{name}`" for name in self.inputs)
        return f"### {self.title}\nRuns when {triggers} is published. {self.description} Contracts: `docs/marts.md`."


MART_DAGS: tuple[MartDag, ...] = (
    MartDag(
        "energy_load_marts",
        "energy",
        loads.datasets(),
        "energy:load_profiles",
        "profile_days",
        "Energy: daily load profiles",
        "Per meter of every load dataset declared in `loads/`, utility and local day: energy, peak and its time, base "
        "load, mean and load factor, weekday or weekend; "
        "the readings missing, and the meter copies (runs of readings equal in every measure to those one day "
        "earlier, how gaps get filled by copying) flagged, so that such days are kept but not learned from "
        "(`usable`). Publishes `curated/energy_load_profiles`.",
        ("electricity",),
    ),
    MartDag(
        "energy_shifting_marts",
        "energy",
        ("building_meter_readings",),
        "energy:load_shifting",
        "plan_shifting",
        "Electricity: peak shaving by shifting load",
        "For each of the latest days, every building's flexible share of electricity (from its energy audit) is "
        "moved within the window (06:00-22:00 local) by a linear program (HiGHS) so that the portfolio's peak is "
        "lowest. Publishes `curated/energy_load_shifting`: per building and 15 minutes the flexible load before and "
        "after, and the group's peak before and after.",
        ("electricity", "peak-shaving"),
    ),
    MartDag(
        "energy_links_marts",
        "energy",
        ("building_meter_readings", "utility_bills"),
        "energy:utility_links",
        "correlate_utilities",
        "Energy: utilities that move together",
        "Per building: every pair of electricity, heat, gas, water and the outdoor temperature, hourly and daily, at "
        "lag 0 and at the lag where they move together most, with 95 % intervals on the effective sample size. Per "
        "utility account: gas use against heating degree-days. Publishes `curated/energy_utility_links`.",
        ("correlation",),
    ),
    MartDag(
        "energy_water_marts",
        "energy",
        ("water_readings",),
        "energy:water_anomalies",
        "detect_anomalies",
        "Water: anomalous periods in metered flow",
        "Every meter's hourly flow is compared with its seasonal baseline (the same hour's median over the week "
        "around it); runs of hours with a robust score of 4 or more, peaking at 6 or more, are anomalous periods "
        "(`low`: losses or maintenance, `high`: pumping). IsolationForest reports its periods beside them. "
        "Publishes `curated/water_flow_anomalies`.",
        ("water", "anomalies"),
    ),
    MartDag(
        "environment_noise_water_marts",
        "environment",
        ("noise_levels", "water_quality_samples"),
        "noise_water:build_marts",
        "build_marts",
        "Noise and surface water: exceedances and classes",
        "Publishes `curated/noise_exceedances` (Ld and Ln per sensor and local date against its zone's GB 3096-2008 "
        "limits, the night-maximum rule) and `curated/water_quality_class` (each station-day's GB 3838-2002 class "
        "and its limiting parameters).",
        ("noise", "water-quality"),
    ),
    MartDag(
        "urban_marts",
        "urban",
        ("urban_cases",),
        "urban:build_marts",
        "build_marts",
        "Urban management: hotspots, disposal KPIs, recurring problems",
        "Publishes `curated/urban_hotspots` (per week, grid cells whose Getis-Ord Gi* over their neighbourhood and own "
        "count stand out), `curated/urban_kpis` (per department, GB/T 30428.2 class, community area and month: on-time "
        "disposal against the class's deadline, median hours per stage, reopen rate) and `curated/urban_recurrence` "
        "(a class back in the same cell within 30 days).",
        ("urban-management", "hotspots"),
    ),
    MartDag(
        "emergency_marts",
        "emergency",
        ("emergency_reports", "emergency_units"),
        "emergency:fuse_reports",
        "fuse_reports",
        "Emergency command: incidents fused from every channel, the nearest units, coverage",
        "Reports from calls, sensor alarms and social posts at most 500 m and 20 minutes apart, of compatible types, "
        "become one incident that keeps the ids of its reports (`curated/emergency_incidents`); for each open incident "
        "the nearest available units of the kind it needs (`curated/emergency_resources`), and the share of the city "
        "each kind reaches within 8 minutes (`curated/emergency_coverage`).",
        ("emergency", "fusion"),
    ),
    MartDag(
        "health_marts",
        "health",
        ("health_tests",),
        "health:build_marts",
        "build_marts",
        "Health: testing statistics that protect the people in them, outbreak signals",
        "Publishes `curated/health_testing_daily` (tests, positives and positivity by pandemic day and by age band, "
        "clinic or payor: every cell of at least k people or withheld, with complementary suppression so that no "
        "withheld cell follows from the totals) and `curated/health_signals` (CDC EARS C1, C2, C3 and a CUSUM on the "
        "daily positives); with `epsilon` > 0 also `curated/health_private_daily` (the daily counts with OpenDP's "
        "discrete Laplace noise, each person's tests bounded, and the signals on them). k and epsilon are this DAG's "
        "params.",
        ("privacy", "surveillance"),
        params=(
            ("k", 11, "the smallest number of people a published cell may count (the small-cell rule)"),
            ("epsilon", 0.0, "privacy budget of the differentially private daily counts; 0: not published"),
            ("max_tests_per_person", 3, "each person's tests counted at most this many times in the private counts"),
        ),
    ),
    MartDag(
        "emergency_call_marts",
        "emergency",
        ("emergency_call_volumes",),
        "emergency:detect_surges",
        "detect_surges",
        "Emergency command: surges in call volumes",
        "Each line's calls per slot against the median of the same weekday and time of day over the previous weeks, "
        "scored over the last few slots in robust standard deviations: runs at the threshold are surges, and "
        "IsolationForest reports its own beside them (`curated/emergency_anomalies`). The thresholds are this DAG's "
        "params.",
        ("emergency", "anomalies"),
        params=(
            ("weeks", 4, "weeks of the same weekday and time of day the baseline is the median of"),
            ("window_slots", 3, "slots the score sums over (5-minute counts are too noisy alone)"),
            ("threshold", 4.0, "robust score (standard deviations over the baseline) at which a slot is surging"),
            ("min_slots", 2, "slots at the threshold that make a surge"),
            ("merge_gap", 1, "slots below the threshold that do not end a surge"),
            ("contamination", 0.01, "share of slots IsolationForest may flag"),
        ),
    ),
)


def run_job(spec: MartDag, run_id: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Import `pipelines.orchestration.<module>` and call the DAG's job with the run id, and with the run's values of
    the params the DAG declares when it declares some (inside a task)."""
    module, _, function = spec.job.partition(":")
    call = getattr(importlib.import_module(f"pipelines.orchestration.{module}"), function)
    if not spec.params:
        result: dict[str, Any] = call(run_id)
        return result
    declared = {name for name, _, _ in spec.params}
    result = call(run_id, {k: v for k, v in (params or {}).items() if k in declared})
    return result


def outlet_extra(result: dict[str, Any], mart: str) -> dict[str, Any]:
    """What an outlet event carries: the mart's own entry of a result keyed by mart, else the result's scalars."""
    own = result.get(mart)
    if isinstance(own, dict):
        return own
    if any(isinstance(v, dict) and "rows" in v for v in result.values()):
        return {"rows": 0, "note": "its input is not published yet"}
    return {k: v for k, v in result.items() if isinstance(v, (int, float, str, bool)) or v is None}
