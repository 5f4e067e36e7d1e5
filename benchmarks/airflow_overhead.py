"""Airflow's overhead: from a file landing to its clean table published, on the local platform (`make up`).

Starts the platform as `make up` does (Airflow's four services on SQLite, a Dask scheduler and two workers, on
free ports), lands a week of one real Beijing station's hours in the air-quality feed's landing folder, triggers
`environment_air_beijing_clean` through the REST API, and waits for the run to succeed and the ledger to list the
file. Three stations, one after the other; the median is the figure. Airflow's own share is the run's time minus
the time its tasks spent executing (queueing, scheduling, starting the task processes, passing results).
The goal (issue 20): under 30 s for a small file, most of it not scheduling. Needs ../shared/data.

    .venv/bin/python benchmarks/airflow_overhead.py
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from measure import Goal, Section  # benchmarks/measure.py

from pipelines.config import load_settings
from pipelines.demo import first_lines
from pipelines.lake.ledger import read_ledger
from pipelines.lake.storage import Lake
from pipelines.platform import AirflowApi, PlatformConfig, down, up

DAG = "environment_air_beijing_clean"
STATIONS = ("Gucheng", "Changping", "Dingling")
HOURS = 24 * 7


def _seconds(start: str | None, end: str | None) -> float:
    if not start or not end:
        return 0.0
    return (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds()


def collect(quick: bool) -> list[Section]:
    """The Airflow section of `make bench` (the same at both sizes: one small file a run)."""
    section = Section(
        "airflow",
        "Airflow overhead: a file landing to its clean table published on the local platform (`make up`)",
        ["station", "landed -> published s", "tasks executing s", "Airflow's own s", "Airflow's share"],
    )
    settings = load_settings()
    source = sorted((settings.data_dir / "air" / "beijing").glob("PRSA_Data_*.csv"))
    if not source:
        section.notes.append(f"not run: no Beijing files under {settings.data_dir} (set CITYLAKE_DATA_DIR)")
        section.goals.append(Goal("small file landed -> clean table published", "< 30 s", "not run", None))
        return [section]
    totals: list[float] = []
    with tempfile.TemporaryDirectory(prefix="citylake-airflow-bench-") as folder:
        home = Path(folder)
        settings = load_settings(lake_uri=str(home / "lake"), pseudonym_key="bench-key-not-a-secret")
        lake = Lake(settings)
        lake.ensure_exists()
        config = PlatformConfig.on_free_ports(home)
        print("airflow: starting the platform ...", flush=True)
        started_at = time.perf_counter()
        up(settings, config)
        section.notes.append(f"Starting the platform took {time.perf_counter() - started_at:.0f} s (once).")
        try:
            api = AirflowApi(config)
            api.unpause(DAG)
            for station in STATIONS:
                path = next(p for p in source if f"_{station}_" in p.name)
                content = first_lines(path, HOURS)
                print(f"airflow: {station}: landing {HOURS} hours and triggering {DAG} ...", flush=True)
                landed = time.perf_counter()
                lake.write_bytes(f"{lake.layout.landing_dir('air_beijing')}/{path.name}", content)
                run_id = f"bench_{station}_{int(time.time())}"
                api.trigger(DAG, run_id)
                run = api.wait_for_run(DAG, run_id)
                total = time.perf_counter() - landed
                if run["state"] != "success":
                    raise RuntimeError(f"{DAG} run {run_id} ended {run['state']}")
                ledger = read_ledger(lake, "air_quality_hourly")
                if path.name not in set(ledger["source_file"]):
                    raise RuntimeError(f"the run succeeded but the ledger does not list {path.name}")
                tasks = api.task_instances(DAG, run_id)
                executing = sum(_seconds(t.get("start_date"), t.get("end_date")) for t in tasks)
                totals.append(total)
                section.rows.append([station, total, executing, total - executing, f"{(total - executing) / total:.0%}"])
        finally:
            down(config)
    median = statistics.median(totals)
    share = statistics.median((row[3] / row[1]) for row in section.rows)
    section.goals.append(Goal("small file landed -> clean table published (median)", "< 30 s", f"{median:.1f} s", median < 30))
    section.goals.append(Goal("Airflow's own share of it (median)", "< 50 %", f"{share:.0%}", share < 0.5))
    return [section]


def main() -> None:
    for section in collect(quick=True):
        print(section.markdown())


if __name__ == "__main__":
    main()
