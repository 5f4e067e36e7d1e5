"""`citylake doctor` against Airflow: an un-migrated metadata database, then a ready one."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.demo import run_airflow
from pipelines.doctor import check_airflow
from pipelines.orchestration.airflow_env import airflow_environment

pytestmark = pytest.mark.slow


def test_airflow_checks_before_and_after_migrating(tmp_path: Path) -> None:
    env = airflow_environment(tmp_path / "airflow", base={"PATH": "/usr/bin:/bin"})
    [before] = check_airflow(env)
    assert (before.status, before.fix) == ("fail", "run `.venv/bin/citylake airflow db migrate`")
    assert before.detail == f"metadata database of {tmp_path / 'airflow'} is reachable but not migrated to this Airflow"
    for args in (["db", "migrate"], ["dags", "reserialize"]):
        run_airflow(args, env, tmp_path / "airflow.log")
    after = {c.name: c for c in check_airflow(env)}
    assert after["airflow"].status == "ok" and after["dags"].detail == "no DAG import errors"
    assert after["connections"].detail.startswith("not defined: citylake_lake, citylake_dask, citylake_pseudonym")
