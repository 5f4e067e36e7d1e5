"""The SQL surface: a DuckDB database file of views over the lake, commented from the lake catalog, locked down.

The file (`Settings.bi_database_path`: `var/bi/citylake.duckdb` for the local lake) holds one view per published
table BI may see: marts by their name, clean datasets as `clean_<dataset>`, the ledger as `meta_ledger`; never a
quarantine table (it keeps records as delivered) nor the raw zone. A declared table's view and each column carry
the declaration's one-line meaning (`COMMENT ON`); a Delta table the catalog does not declare still gets its view,
commented as undeclared. Views read the Delta tables through DuckDB's delta extension (loaded from its PyPI
package, offline), so they see new commits without a rebuild; the file is rebuilt, and swapped in atomically,
only when the set of tables, their declarations or the snapshot mode change.

Two snapshot modes (`Settings.bi_snapshot_mode`). Live: a view scans its table's newest commit, so every query
first reads the table's Delta log. Session: each table is attached with its snapshot pinned, and the session
reads the table as of its first query of it; a query then reads no log and, warm, no file metadata. On object
storage every log read is a round trip: a dashboard's filtered query on the real S3 server took 0.4-1 s live and
0.02 s pinned (benchmarks/README.md). A session sees commits made after its first read of a table when it
reconnects.

Every connection handed out (`open_database`: `citylake query`, BI tools) is read-only and locked down: DuckDB may
read the lake and nothing else (`allowed_directories`, `enable_external_access = false`), and no client can lift
it (`lock_configuration`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import threading
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


# view name prefix per zone; curated marts keep their own names, since they are what BI reads. No quarantine
# view: quarantined rows keep the record as delivered, which is for the data engineer, not for BI.
VIEW_PREFIX = {Zone.CURATED: "", Zone.CLEAN: "clean_", Zone.META: "meta_"}


# the catalog's column types as DuckDB names them (timestamps are UTC instants)
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "float": "DOUBLE",
    "int": "BIGINT",
    "int32": "INTEGER",
    "int16": "SMALLINT",
    "int8": "TINYINT",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",
}


class CatalogError(RuntimeError):
    """The lake cannot be queried (extension missing, nothing published yet)."""


@dataclass(frozen=True)
class View:
    """One queryable table of the lake."""

    name: str
    zone: Zone
    uri: str
    table: Table | None  # None: a Delta table the lake catalog does not declare


def _extension(package: str, name: str, site_packages: Path | None = None) -> str:
    """The path of a DuckDB extension binary shipped inside a PyPI package (no download at run time)."""
    if site_packages is not None:
        where = site_packages / package
    else:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise CatalogError(f"the Python package {package} is not installed: run `make setup`")
        where = Path(spec.submodule_search_locations[0])
    found = sorted(where.glob(f"extensions/v{duckdb.__version__}/{name}.duckdb_extension"))
    if not found:
        raise CatalogError(f"{package} has no {name} extension for DuckDB {duckdb.__version__}: pin matching versions")
    return str(found[0])


def views(lake: Lake) -> list[View]:
    """A view for every published table, with its declaration when the catalog has one."""
    return [
        View(VIEW_PREFIX[stored.zone] + stored.name, stored.zone, stored.uri, catalog().get((stored.zone, stored.name)))
        for stored in stored_tables(lake)
        if stored.zone in VIEW_PREFIX
    ]


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def session_statements(settings: Settings, *, lock: bool = True, site_packages: Path | None = None) -> list[str]:
    """The statements that open a DuckDB session on the lake: load the extensions that read it (from their PyPI
    packages; `site_packages` names another environment's, e.g. Superset's), for S3 the lake's credentials as a
    session secret, and with `lock` the lockdown: from then on the session reads the lake and nothing else (no
    other file, no extension, no setting change). Every entry point runs these: `citylake query`, the SDK, the
    Postgres-wire endpoint and Superset's connect event."""
    statements = [
        f"LOAD {_text(_extension('duckdb_extension_delta', 'delta', site_packages))}",
        # a Parquet file of a Delta table is never rewritten (a commit adds new ones): its footer, size and date
        # can be kept
        "SET parquet_metadata_cache = true",
        "SET enable_http_metadata_cache = true",
    ]
    if settings.lake_on_s3:
        endpoint = urlparse(settings.s3_endpoint or "https://s3.amazonaws.com")
        statements += [
            f"LOAD {_text(_extension('duckdb_extension_httpfs', 'httpfs', site_packages))}",
            "CREATE SECRET lake (TYPE s3, KEY_ID {}, SECRET {}, REGION {}, ENDPOINT {}, URL_STYLE 'path', USE_SSL {})".format(
                _text(settings.s3_key or ""),
                _text(settings.s3_secret or ""),
                _text(settings.s3_region),
                _text(endpoint.netloc),
                str(endpoint.scheme == "https").lower(),
            ),
        ]
    if lock:
        statements += lock_statements(settings)
    return statements


def lock_statements(settings: Settings) -> list[str]:
    """The lockdown: from then on the session reads the lake and nothing else (no other file, no extension, no
    setting change)."""
    return [
        f"SET allowed_directories = [{_text(settings.lake_uri.rstrip('/') + '/')}]",
        "SET enable_external_access = false",
        "SET lock_configuration = true",
    ]


def _snapshot_catalog(view: View) -> str:
    """The name a view's table is attached under in session mode (DuckDB names the attached table the same)."""
    return '"' + f"delta:{view.name}".replace('"', '""') + '"'


def _attach(view: View, *, pinned: bool) -> str:
    options = ", PIN_SNAPSHOT, PUSHDOWN_FILTERS 'none'" if pinned else ""
    # PUSHDOWN_FILTERS 'none': a filter pushed into the Delta scan would replay the table's log on every query to
    # skip files; Parquet's row-group statistics still skip what the filter excludes
    return f"ATTACH {_text(view.uri)} AS {_snapshot_catalog(view)} (TYPE delta{options})"


def _source(view: View, mode: str) -> str:
    """What a view selects from: the table's newest commit (live), or its attached, pinned snapshot (session)."""
    return f"delta_scan({_text(view.uri)})" if mode == "live" else _snapshot_catalog(view)


def _attach_lake(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Load the extensions that read the lake (and, for S3, the lake's credentials as a session secret)."""
    for statement in session_statements(settings, lock=False):
        con.execute(statement)


def _signature(found: list[View], mode: str) -> str:
    """What the file's views depend on: the tables, their declarations and the snapshot mode (a change of any
    rebuilds it)."""
    described: list[object] = [mode]
    described += [
        [
            v.name,
            v.uri,
            None if v.table is None else [v.table.description, [[c.name, c.description, c.unit] for c in v.table.columns]],
        ]
        for v in found
    ]
    return hashlib.sha256(json.dumps(described).encode()).hexdigest()


_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


def _built_signature(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True, config=_CONFIG) as con:
            row = con.execute("SELECT signature FROM citylake_build").fetchone()
    except duckdb.Error:
        return None  # an older or broken file: rebuilt
    return str(row[0]) if row else None


def refresh_database(settings: Settings) -> tuple[Path, list[View]]:
    """The BI database file, rebuilt (into a new file, then swapped in atomically) when the lake's tables changed."""
    found = views(Lake(settings))
    path = settings.bi_database_path
    mode = settings.bi_snapshot_mode
    signature = _signature(found, mode)
    if _built_signature(path) == signature:
        return path, found
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(f".{path.name}.{os.getpid()}.building")
    building.unlink(missing_ok=True)
    with duckdb.connect(str(building), config=_CONFIG) as con:
        _attach_lake(con, settings)
        con.execute("CREATE TABLE citylake_snapshots (statement VARCHAR)")  # what a session attaches (session mode)
        for view in found:
            scan = _source(view, mode)
            if mode == "session":
                con.execute(_attach(view, pinned=False))
                con.execute("INSERT INTO citylake_snapshots VALUES (?)", [_attach(view, pinned=True)])
            stored = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()}
            # a column declared since the table was last published is not in its files yet: the view shows it as
            # null until the next publish adds it, so BI sees the declared table either way
            pending = [c for c in view.table.columns if c.name not in stored] if view.table else []
            extra = "".join(f', NULL::{DUCKDB_TYPES[c.type]} AS "{c.name}"' for c in pending)
            con.execute(f'CREATE VIEW "{view.name}" AS SELECT *{extra} FROM {scan}')
            if view.table is None:
                con.execute(f"COMMENT ON VIEW \"{view.name}\" IS 'not declared in the lake catalog'")
                continue
            con.execute(f'COMMENT ON VIEW "{view.name}" IS {_text(view.table.description)}')
            for column in view.table.columns:
                unit = f" [{column.unit}]" if column.unit else ""
                con.execute(f'COMMENT ON COLUMN "{view.name}"."{column.name}" IS {_text(column.description + unit)}')
        con.execute("CREATE TABLE citylake_build AS SELECT ? AS signature, ? AS lake_uri", [signature, settings.lake_uri])
    os.replace(building, path)
    return path, found


def open_database(settings: Settings) -> tuple[duckdb.DuckDBPyConnection, list[View]]:
    """A read-only, locked-down connection to the BI database (rebuilt first when the lake's tables changed).

    In session mode the connection is a DuckDB instance of its own, with the BI file attached read-only: attached
    snapshots belong to an instance, and one shared by several clients (as DuckDB shares a file's instance within
    a process) would keep the first client's snapshots for as long as any client stays connected."""
    path, found = refresh_database(settings)
    if settings.bi_snapshot_mode == "live":
        con = duckdb.connect(str(path), read_only=True, config=_CONFIG)
        start_session(con, session_statements(settings))
        return con, found
    con = duckdb.connect(config=_CONFIG)
    _attach_lake(con, settings)
    con.execute(f"ATTACH {_text(str(path))} AS citylake (READ_ONLY)")
    con.execute("USE citylake")
    for statement in snapshot_statements(con):
        con.execute(statement)
    for statement in lock_statements(settings):
        con.execute(statement)
    return con, found


def snapshot_statements(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The ATTACH statements of the tables' pinned snapshots, as the BI file lists them (none in live mode)."""
    return [row[0] for row in con.execute("SELECT statement FROM citylake_snapshots").fetchall()]


def start_session(con: duckdb.DuckDBPyConnection, statements: list[str]) -> None:
    """Run the session statements, unless this database instance already ran them: DuckDB shares one instance
    among a process's connections to a file, and a locked instance stays locked (with the extension loaded)."""
    with _SESSION_START:
        if con.execute("SELECT current_setting('lock_configuration')").fetchone() == (True,):
            return
        for statement in statements:
            con.execute(statement)


_SESSION_START = threading.Lock()  # threads sharing an instance (the Postgres-wire endpoint) start sessions one by one


class QueryRefused(ValueError):
    """A statement `query` does not run: it is read-only, one SELECT over the lake's views."""


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
    con, found = open_database(settings)
    try:
        if not found:
            raise CatalogError(f"nothing is published in the lake at {settings.lake_uri} yet: run `make demo`")
        return con.sql(checked_select(con, sql)).df()
    finally:
        con.close()
