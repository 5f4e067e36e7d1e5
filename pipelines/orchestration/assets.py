"""Airflow Assets of the lake's tables, derived from the lake catalog (logical URIs: the lake's location is configuration).

A DAG's outlets are the tables whose declaration names it as their producer, so a new mart becomes an
asset of its DAG by being declared.
"""

from __future__ import annotations

from airflow.sdk import Asset

from pipelines.lake.catalog import Table, Zone, get_table, produced_by


def lake_asset(table: Table) -> Asset:
    """The Asset of one table of the lake."""
    return Asset(uri=f"citylake://{table.zone.value}/{table.name}", name=table.name, group="citylake")


def clean(dataset: str) -> Asset:
    """The Asset of a clean (canonical) dataset."""
    return lake_asset(get_table(Zone.CLEAN, dataset))


def curated(mart: str) -> Asset:
    """The Asset of a mart."""
    return lake_asset(get_table(Zone.CURATED, mart))


def outlets(dag_id: str) -> list[Asset]:
    """The Assets a DAG publishes: the catalog's tables whose producer it is."""
    return [lake_asset(table) for table in produced_by(dag_id)]
