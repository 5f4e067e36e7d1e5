"""`make demo`: deliver the air-quality files, run both DAGs through Airflow, print what the lake now holds."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from pipelines.config import PROJECT_ROOT, Settings
from pipelines.domains.environment.report import summary_text
from pipelines.domains.environment.synthetic import write_synthetic_files
from pipelines.lake.ingest import deliver
from pipelines.lake.storage import Lake
from pipelines.orchestration.airflow_env import airflow_environment
from pipelines.domains.environment.pipeline import feed as air_feed
from pipelines.sources.spec import FeedSpec

DAGS = ("environment_air_beijing_clean", "environment_aqi_marts")
PROGRESS = re.compile(r"\[pipelines\.|DagRun Finished|Skipping task|ERROR|Traceback|QualityGateError")


class DemoError(RuntimeError):
    """A step of the demo failed; the message says which and where its log is."""


def feed_files(settings: Settings, feed: FeedSpec) -> list[Path]:
    """The public files a feed is demonstrated with, found under the data directory."""
    return sorted(path for pattern in feed.data_files for path in settings.data_dir.glob(pattern))


def air_files(settings: Settings, out: Path = PROJECT_ROOT / "var" / "synthetic") -> tuple[list[Path], bool]:
    """The real Beijing files when the data directory has them, else freshly generated synthetic ones."""
    real = feed_files(settings, air_feed())
    if real:
        return real, False
    return write_synthetic_files(out), True


def run_airflow(args: list[str], env: dict[str, str], log_file: Path) -> None:
    """Run the `airflow` CLI, showing progress lines, keeping the whole output in `log_file`."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    log_file.parent.mkdir(parents=True, exist_ok=True)
    failed = False
    with log_file.open("a") as log, subprocess.Popen(
        [airflow, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            if "state=failed" in line:
                failed = True
            if PROGRESS.search(line):
                print("   ", _shorten(line), flush=True)
    if proc.returncode != 0 or failed:
        raise DemoError(f"`airflow {' '.join(args)}` failed (exit {proc.returncode}); full log: {log_file}")


def _shorten(line: str) -> str:
    """A structlog line without its timestamp and location noise."""
    finished = re.search(r"DagRun Finished: dag_id=([\w-]+).*?run_duration=([\d.]+), state=(\w+)", line)
    if finished:
        dag_id, seconds, state = finished.groups()
        return f"DAG run of {dag_id}: {state} in {float(seconds):.0f} s"
    text = re.sub(r"^\S+Z \[\w+\s*\] ", "", line.rstrip())
    return re.sub(r"\s+(\[[\w.]+\])?\s*loc=\S+.*$", "", text)[:200]


def run_demo(settings: Settings) -> str:
    """Deliver, ingest + validate + cleanse, build the marts (real Airflow DAG runs) and return the summary."""
    started = time.monotonic()
    lake = Lake(settings)
    lake.ensure_exists()
    files, synthetic = air_files(settings)
    if synthetic:
        print(
            f"!! No Beijing air-quality files under {settings.data_dir} ({', '.join(air_feed().data_files)})"
            " (set CITYLAKE_DATA_DIR to the folder that holds air/beijing/).\n"
            "!! Running on SYNTHETIC data from the project's seeded generator: the numbers below are not real.",
            flush=True,
        )
    print(f"1/4 delivering {len(files)} file(s) to {lake.layout.landing_dir(air_feed().name)}", flush=True)
    deliver(lake, air_feed(), files)
    env = airflow_environment()
    env["CITYLAKE_LAKE_URI"] = settings.lake_uri
    log_file = PROJECT_ROOT / "var" / "logs" / f"demo-{time.strftime('%Y%m%dT%H%M%S')}.log"
    print(f"2/4 preparing Airflow (metadata on SQLite in {env['AIRFLOW_HOME']})", flush=True)
    run_airflow(["db", "migrate"], env, log_file)
    run_airflow(["dags", "reserialize"], env, log_file)
    for step, dag_id in enumerate(DAGS, start=3):
        print(f"{step}/4 airflow dags test {dag_id}", flush=True)
        run_airflow(["dags", "test", dag_id], env, log_file)
    chart = PROJECT_ROOT / "var" / "reports" / "air_aqi_monthly.png"
    summary = summary_text(settings, chart=chart)
    how = (
        "\nQuery the marts (DuckDB over the Delta tables, offline):\n"
        "  .venv/bin/citylake tables\n"
        "  .venv/bin/citylake query \"SELECT station, avg(aqi) AS mean_aqi FROM air_aqi_daily GROUP BY station ORDER BY 2 DESC\"\n"
        f"Full Airflow log of this demo: {log_file}\n"
        f"Done in {time.monotonic() - started:.0f} s."
    )
    return ("SYNTHETIC DATA — " if synthetic else "") + summary + "\n" + how
