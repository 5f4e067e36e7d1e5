"""What the energy DAGs call: plain functions of the run id, returning XCom-sized dicts."""

from __future__ import annotations

from typing import Any

from pipelines.domains.energy import meters, portfolio, utilities, water
from pipelines.orchestration.hooks import task_settings


def water_anomalies(run_id: str) -> dict[str, Any]:
    """clean water readings -> the anomalous periods of every meter."""
    return water.build(task_settings(), run_id)


def load_profiles(run_id: str) -> dict[str, Any]:
    """clean electricity readings -> every meter's daily load profiles."""
    return meters.build(task_settings(), run_id)


def load_shifting(run_id: str) -> dict[str, Any]:
    """clean building meters -> the latest days' peak-shaving plans."""
    return portfolio.build(task_settings(), run_id)


def utility_links(run_id: str) -> dict[str, Any]:
    """clean building meters and bills -> how the utilities move together."""
    return utilities.build(task_settings(), run_id)
