"""The marts DAGs declared as data: what an outlet event carries, and that each job and trigger exists."""

from __future__ import annotations

import importlib

from pipelines.lake.catalog import catalog, produced_by
from pipelines.lake.layout import Zone
from pipelines.orchestration.mart_dags import MART_DAGS, outlet_extra


def test_an_outlet_event_carries_its_marts_entry_or_the_scalar_figures() -> None:
    keyed = {"noise_exceedances": {"rows": 3, "version": 1}, "water_quality_class": {"rows": 2, "version": 4}}
    assert outlet_extra(keyed, "water_quality_class") == {"rows": 2, "version": 4}
    assert outlet_extra({"noise_exceedances": {"rows": 3}}, "water_quality_class") == {
        "rows": 0,
        "note": "its input is not published yet",
    }
    flat = {"rows": 12, "version": 2, "days": {"2024-07-01": {"peak_before_kw": 1.0}}, "note": None}
    assert outlet_extra(flat, "energy_load_shifting") == {"rows": 12, "version": 2, "note": None}


def test_every_declared_job_trigger_and_output_exists() -> None:
    clean = {name for zone, name in catalog() if zone == Zone.CLEAN}
    for spec in MART_DAGS:
        module, _, function = spec.job.partition(":")
        assert callable(getattr(importlib.import_module(f"pipelines.orchestration.{module}"), function)), spec.job
        assert set(spec.inputs) <= clean, spec.dag_id
        assert produced_by(spec.dag_id), f"no mart in the catalog names {spec.dag_id} as its producer"
