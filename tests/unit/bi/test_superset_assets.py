"""The versioned Superset assets parse, and they hold together: every chart's dataset and every dashboard chart
exist, and each dataset is a table of the lake catalog with its columns (a broken file fails here in a second, not
in Superset's import at the end of the e2e run)."""

from __future__ import annotations

import yaml

from pipelines.bi.superset import ASSETS
from pipelines.lake.catalog import catalog


def load(kind: str) -> list[dict]:
    return [yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted((ASSETS / kind).rglob("*.yaml"))]


def test_every_chart_reads_a_dataset_and_every_dashboard_chart_exists() -> None:
    datasets = {d["uuid"]: d for d in load("datasets")}
    charts = {c["uuid"]: c for c in load("charts")}
    assert all(c["dataset_uuid"] in datasets for c in charts.values())
    (dashboard,) = load("dashboards")
    placed = {
        v["meta"]["uuid"]: v["meta"]["sliceName"]
        for v in dashboard["position"].values()
        if isinstance(v, dict) and v.get("type") == "CHART"
    }
    assert placed == {uuid: charts[uuid]["slice_name"] for uuid in placed} and set(placed) == set(charts)
    ids = [v["meta"]["chartId"] for v in dashboard["position"].values() if isinstance(v, dict) and v.get("type") == "CHART"]
    assert len(ids) == len(set(ids))


def test_every_dataset_is_a_lake_table_or_a_view_of_one_with_its_columns() -> None:
    tables = {t.name: t for t in catalog().values()}
    for dataset in load("datasets"):
        table = tables.get(dataset["table_name"])
        if table is None or dataset.get("sql"):
            continue  # a view (SQL over marts): Superset checks its columns when it runs
        assert {c["column_name"] for c in dataset["columns"]} <= set(table.names), dataset["table_name"]
