"""Superset's configuration for CityLake (`citylake bi up` points SUPERSET_CONFIG_PATH here).

Everything machine-specific comes from the environment the launcher sets: where Superset keeps its metadata
(SQLite), its secret key, and the file of session statements every DuckDB connection runs first. Those statements
(`pipelines.bi.sql.session_statements`) load the Delta extension, attach the tables' snapshots when the BI file
lists them (session mode), and lock the session to the lake: no other file, no extension, no setting change. They
run in a SQLAlchemy `connect` event, the only place where DuckDB is locked after the views' extension is loaded
(`connect_args` cannot do it: FACTS.md). DuckDB shares one instance per file within a process, so in session mode
a Superset worker reads the snapshots its first connection attached until all its connections have closed.
"""

import json
import os
import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine

SECRET_KEY = os.environ["CITYLAKE_SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = os.environ["CITYLAKE_SUPERSET_METADATA_URI"]
_SESSION_FILE = os.environ["CITYLAKE_BI_SESSION_FILE"]

# A read-only lake: no uploads, no DML, no templated SQL that could reach other sources.
FEATURE_FLAGS = {"ENABLE_TEMPLATE_PROCESSING": False, "DASHBOARD_RBAC": False}
PREVENT_UNSAFE_DB_CONNECTIONS = True
SQLLAB_CTAS_NO_LIMIT = False
WTF_CSRF_ENABLED = True
TALISMAN_ENABLED = False  # served on 127.0.0.1 by default; put it behind the city's TLS proxy to publish it
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}  # marts change with every publish: always ask the lake
DATA_CACHE_CONFIG = CACHE_CONFIG
SUPERSET_WEBSERVER_TIMEOUT = 120
LOG_LEVEL = "WARNING"


@event.listens_for(Engine, "connect")
def _lock_duckdb_to_the_lake(dbapi_connection, _record) -> None:
    """Every DuckDB connection Superset opens reads the lake's views and nothing else."""
    if "duckdb" not in type(dbapi_connection).__module__:
        return  # Superset's own metadata database
    with _SESSION_START:
        locked = dbapi_connection.execute("SELECT current_setting('lock_configuration')").fetchone()
        if locked == (True,):
            return  # DuckDB shares one instance per file in a process: this one is already loaded and locked
        with open(_SESSION_FILE, encoding="utf-8") as handle:
            session = json.load(handle)
        for statement in session["open"]:
            dbapi_connection.execute(statement)
        # the tables' pinned snapshots when the lake is read in session mode (`Settings.bi_snapshot_mode`): the BI
        # file lists them, so a table published after Superset started is attached too
        for (statement,) in dbapi_connection.execute("SELECT statement FROM citylake_snapshots").fetchall():
            dbapi_connection.execute(statement)
        for statement in session["lock"]:
            dbapi_connection.execute(statement)


_SESSION_START = threading.Lock()  # gunicorn's threads open connections at once
