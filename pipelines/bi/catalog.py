"""A DuckDB catalog over the lake: one view per Delta table, with the delta and httpfs extensions loaded offline."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import duckdb

from pipelines.config import Settings
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake

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


def _extension(package: str, name: str) -> str:
    """The path of a DuckDB extension binary shipped inside a PyPI package (no download at run time)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise CatalogError(f"the Python package {package} is not installed: run `make setup`")
    found = sorted(Path(spec.submodule_search_locations[0]).glob(f"extensions/v{duckdb.__version__}/{name}.duckdb_extension"))
    if not found:
        raise CatalogError(f"{package} has no {name} extension for DuckDB {duckdb.__version__}: pin matching versions")
    return str(found[0])


def discover(lake: Lake) -> list[View]:
    """Every Delta table in the clean, quarantine, curated and _meta zones."""
    views = []
    for zone, prefix in VIEW_PREFIX.items():
        for log_dir in lake.glob(f"{lake.layout.zone(zone)}/*/_delta_log"):
            uri = log_dir.rsplit("/", 1)[0]
            views.append(View(prefix + uri.rsplit("/", 1)[-1], zone, uri))
    return sorted(views, key=lambda v: (list(VIEW_PREFIX).index(v.zone), v.name))


def connect(settings: Settings) -> tuple[duckdb.DuckDBPyConnection, list[View]]:
    """An in-memory DuckDB with a view per lake table; reads go straight to the Delta files."""
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
    views = discover(lake)
    for view in views:
        con.execute(f"CREATE VIEW \"{view.name}\" AS SELECT * FROM delta_scan('{view.uri}')")
    return con, views


def query(settings: Settings, sql: str) -> "pandas.DataFrame":  # noqa: F821
    """Run one SQL statement against the lake's views and return the result."""
    con, views = connect(settings)
    if not views:
        raise CatalogError(f"nothing is published in the lake at {settings.lake_uri} yet: run `make demo`")
    try:
        return con.sql(sql).df()
    finally:
        con.close()
