"""The SQL surface: DuckDB views over the lake's declared tables, commented from the lake catalog.

The delta and httpfs extensions come from PyPI packages and are loaded offline. Every published table gets a
view: marts by their name, the others as `clean_<dataset>`, `quarantine_<dataset>`, `meta_<table>`; a declared
table's view and each of its columns carry the declaration's one-line meaning (`COMMENT ON`). A Delta table the
catalog does not declare still gets its view, commented as undeclared, so that nothing in the lake is hidden.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import duckdb

from pipelines.config import Settings
from pipelines.lake.catalog import Table, catalog
from pipelines.lake.delta import stored_tables
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake

if TYPE_CHECKING:
    import pandas


# view name prefix per zone; curated marts keep their own names, since they are what BI reads
VIEW_PREFIX = {Zone.CURATED: "", Zone.CLEAN: "clean_", Zone.QUARANTINE: "quarantine_", Zone.META: "meta_"}


class CatalogError(RuntimeError):
    """The lake cannot be queried (extension missing, nothing published yet)."""


@dataclass(frozen=True)
class View:
    """One queryable table of the lake."""

    name: str
    zone: Zone
    uri: str
    table: Table | None  # None: a Delta table the lake catalog does not declare


def _extension(package: str, name: str) -> str:
    """The path of a DuckDB extension binary shipped inside a PyPI package (no download at run time)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise CatalogError(f"the Python package {package} is not installed: run `make setup`")
    found = sorted(Path(spec.submodule_search_locations[0]).glob(f"extensions/v{duckdb.__version__}/{name}.duckdb_extension"))
    if not found:
        raise CatalogError(f"{package} has no {name} extension for DuckDB {duckdb.__version__}: pin matching versions")
    return str(found[0])


def views(lake: Lake) -> list[View]:
    """A view for every published table, with its declaration when the catalog has one."""
    return [
        View(VIEW_PREFIX[stored.zone] + stored.name, stored.zone, stored.uri, catalog().get((stored.zone, stored.name)))
        for stored in stored_tables(lake)
    ]


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def connect(settings: Settings) -> tuple[duckdb.DuckDBPyConnection, list[View]]:
    """An in-memory DuckDB with a commented view per published table; reads go straight to the Delta files."""
    lake = Lake(settings)
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute(f"LOAD '{_extension('duckdb_extension_delta', 'delta')}'")
    if lake.on_s3:
        con.execute(f"LOAD '{_extension('duckdb_extension_httpfs', 'httpfs')}'")
        endpoint = urlparse(settings.s3_endpoint or "https://s3.amazonaws.com")
        con.execute(
            "CREATE SECRET lake (TYPE s3, KEY_ID ?, SECRET ?, REGION ?, ENDPOINT ?, URL_STYLE 'path', USE_SSL ?)",
            [settings.s3_key or "", settings.s3_secret or "", settings.s3_region, endpoint.netloc, endpoint.scheme == "https"],
        )
    found = views(lake)
    for view in found:
        con.execute(f"CREATE VIEW \"{view.name}\" AS SELECT * FROM delta_scan('{view.uri}')")
        if view.table is None:
            con.execute(f"COMMENT ON VIEW \"{view.name}\" IS 'not declared in the lake catalog'")
            continue
        con.execute(f'COMMENT ON VIEW "{view.name}" IS {_text(view.table.description)}')
        for column in view.table.columns:
            unit = f" [{column.unit}]" if column.unit else ""
            con.execute(f'COMMENT ON COLUMN "{view.name}"."{column.name}" IS {_text(column.description + unit)}')
    return con, found


class QueryRefused(ValueError):
    """A statement `query` does not run: it is read-only, one SELECT over the lake's views."""


def read_only(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """From now on the connection reads the lake and nothing else: no other file, no extension, no setting change."""
    con.execute("SET allowed_directories = [?]", [settings.lake_uri.rstrip("/") + "/"])
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def checked_select(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """The statement when it is one query (SELECT, WITH, VALUES ...); QueryRefused saying why otherwise."""
    statements = con.extract_statements(sql)
    if len(statements) != 1:
        raise QueryRefused(f"one statement at a time, not {len(statements)}")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise QueryRefused(f"the lake is read-only here: only queries (SELECT ...) run, not a {kind.name} statement")
    return sql


def query(settings: Settings, sql: str) -> pandas.DataFrame:
    """Run one read-only SQL query against the lake's views and return the result."""
    con, found = connect(settings)
    if not found:
        raise CatalogError(f"nothing is published in the lake at {settings.lake_uri} yet: run `make demo`")
    try:
        read_only(con, settings)
        return con.sql(checked_select(con, sql)).df()
    finally:
        con.close()
