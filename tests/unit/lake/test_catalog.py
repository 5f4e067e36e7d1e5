"""The lake catalog: every table declared once, completely, and the pages generated from it stay in step."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.lake.catalog import SchemaMismatch, Zone, catalog, clean_dataset, get_table, produced_by, tables
from pipelines.lake.catalog.docs import generated_docs
from tests.conftest import HOTSPOT_ROW


@pytest.mark.parametrize("page", sorted(generated_docs()))
def test_the_generated_docs_are_in_step_with_the_declarations(page: str) -> None:
    assert (PROJECT_ROOT / page).read_text(encoding="utf-8") == generated_docs()[page], (
        f"{page} is out of step with pipelines/lake/catalog: run `.venv/bin/citylake docs`"
    )


EVENT_TABLES = {"model_changes"}  # written when something happens, not on a schedule: no cadence to be late against


def test_every_table_is_declared_completely() -> None:
    for table in catalog().values():
        assert table.description and table.grain and table.producer and table.domain, table.ref
        assert [c.name for c in table.columns if not c.description] == [], table.ref
        assert set(table.key) <= set(table.names) and set(table.partition_by) <= set(table.names), table.ref
        if table.zone is Zone.CURATED:
            assert (table.cadence or table.name in EVENT_TABLES) and table.logic and table.key, table.ref


def test_every_domain_has_its_datasets_with_their_lineage() -> None:
    clean = tables(Zone.CLEAN)
    assert {d.domain for d in clean} == {
        "environment",
        "traffic",
        "public_safety",
        "energy",
        "urban",
        "emergency",
        "health",
    }  # e-government has no dataset of its own: its indicators are computed from the other marts
    assert {t.domain for t in tables(Zone.CURATED)} >= {d.domain for d in clean} | {"egov"}
    for dataset in clean:
        assert {"source_file", "source_line"} <= set(dataset.names)
        assert get_table(Zone.QUARANTINE, dataset.name).partition_by == ("source_partition",)


def test_a_clean_dataset_without_partitions_is_laid_out_by_delivered_file() -> None:
    assert clean_dataset("traffic_readings").storage_partition_by == ("source_file",)
    assert clean_dataset("air_quality_hourly").storage_partition_by == ("station",)
    assert get_table(Zone.CURATED, "crime_rules").storage_partition_by == ("period",)


def test_unknown_names_are_refused_with_the_known_ones() -> None:
    with pytest.raises(
        KeyError,
        match=r"no table curated/air_aqi_weekly is declared in the lake catalog; curated has: air_aqi_hourly, air_aqi_daily",
    ):
        get_table(Zone.CURATED, "air_aqi_weekly")
    with pytest.raises(KeyError, match="no table of the lake catalog names 'nobody' as its producer"):
        produced_by("nobody")


def test_a_dag_s_outlets_are_the_tables_it_produces() -> None:
    assert [t.name for t in produced_by("environment_aqi_marts")] == [
        "air_aqi_hourly",
        "air_aqi_daily",
        "air_pollution_episodes",
        "air_aqi_monthly",
    ]
    assert [t.name for t in produced_by("traffic_forecast_scoring")] == [
        "traffic_forecast",
        "congestion_alerts",
        "model_live_scores",
        "model_changes",
    ]


def test_a_frame_is_conformed_to_its_declaration_or_refused_naming_the_columns() -> None:
    hotspots = get_table(Zone.CURATED, "crime_hotspots")
    row = dict(HOTSPOT_ROW)
    table = hotspots.conform(pd.DataFrame([row]))
    assert table.schema.equals(hotspots.arrow_schema) and table.num_rows == 1
    with pytest.raises(
        SchemaMismatch,
        match=r"curated/crime_hotspots does not match its declaration: missing columns \['run_id'\], undeclared columns \['runid'\]",
    ):
        hotspots.conform(pd.DataFrame([{**{k: v for k, v in row.items() if k != "run_id"}, "runid": "r"}]))
    with pytest.raises(SchemaMismatch, match="curated/crime_hotspots: a column does not have its declared type"):
        hotspots.conform(pd.DataFrame([{**row, "weekday": "Monday"}]))
