"""What the e-government DAGs call: plain functions of the run id (and the DAG's params), returning XCom-sized dicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipelines.bi import open_data
from pipelines.domains.egov import indicators, marts
from pipelines.orchestration.hooks import task_settings


def build_indicators(run_id: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every other mart's current version -> city_indicators (the city's zone, staleness grace, congestion ratio from the params)."""
    return marts.build(task_settings(), run_id, indicators.IndicatorParams.from_dict(params or {}))


def publish_brief(run_id: str) -> dict[str, Any]:
    """city_indicators -> this week's brief, HTML and PDF, in the lake."""
    return marts.publish_brief(task_settings(), run_id)


def export_open_data(run_id: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """city_indicators -> today's open-data release (CSV, JSON, dictionary, licence, manifest) in the lake."""
    values = params or {}
    licence = open_data.Licence(
        publisher=str(values.get("publisher", open_data.Licence.publisher)),
        licence=str(values.get("licence", open_data.Licence.licence)),
        url=str(values.get("licence_url", open_data.Licence.url)),
    )
    return open_data.publish_release(task_settings(), run_id, licence)
