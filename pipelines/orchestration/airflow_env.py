"""The environment Airflow runs with locally: a project-local AIRFLOW_HOME on SQLite, our dags/ folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pipelines.config import PROJECT_ROOT

DEFAULT_AIRFLOW_HOME = PROJECT_ROOT / "var" / "airflow"


def airflow_executable() -> str:
    """The `airflow` command of this virtual environment."""
    return str(Path(sys.executable).with_name("airflow"))


def airflow_environment(airflow_home: Path = DEFAULT_AIRFLOW_HOME, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment variables for running the `airflow` CLI against this project (keeps what `base` sets)."""
    env = dict(os.environ if base is None else base)
    env.setdefault("AIRFLOW_HOME", str(airflow_home))
    env.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(PROJECT_ROOT / "dags"))
    env.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(PROJECT_ROOT / "plugins"))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    env.setdefault("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
    # the LocalExecutor starts this many worker processes (Airflow's default is 32): one per core fits the machine
    env.setdefault("AIRFLOW__CORE__PARALLELISM", str(max(2, os.cpu_count() or 2)))
    env.setdefault("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT", "120")
    env.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")
    env.setdefault("GX_ANALYTICS_ENABLED", "False")
    env.setdefault("NO_PROXY", "*")  # macOS-style proxy lookups from forked workers hang; harmless elsewhere
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    return env
