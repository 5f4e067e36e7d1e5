"""The SQL surface: a view per published table, commented from the lake catalog."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from pipelines.bi.sql import open_database, snapshot_statements
from pipelines.config import load_settings
from pipelines.lake import delta
from pipelines.lake.catalog.public_safety import CRIME_HOTSPOTS
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake
from tests.conftest import HOTSPOT_ROW


def publish_undeclared(lake: Lake) -> None:
    """A Delta table in the curated zone that the catalog does not declare."""
    schema = pa.schema([pa.field("x", pa.int64())])
    delta.publish_frame(lake, lake.layout.table(Zone.CURATED, "scratch"), pd.DataFrame({"x": [1]}), schema, (), None, "r", "k")


def test_declared_views_carry_their_meaning_and_undeclared_ones_say_so(settings) -> None:
    lake = Lake(settings)
    row = dict(HOTSPOT_ROW)
    lake.publish(CRIME_HOTSPOTS, pd.DataFrame([row]), None, "r", "k")
    publish_undeclared(lake)

    con, views = open_database(settings)
    assert [(v.name, v.table is not None) for v in views] == [("crime_hotspots", True), ("scratch", False)]
    comments = dict(con.sql("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
    assert comments == {
        "crime_hotspots": "Incidents per district, local weekday and hour, with the trend",
        "scratch": "not declared in the lake catalog",
    }
    columns = dict(con.sql("SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'crime_hotspots'").fetchall())
    assert columns["weekday"] == "local weekday, Monday = 0"
    assert columns["change_pct"] == "100 * (incidents / previous_incidents - 1); null when there were none before [%]"
    assert con.sql("SELECT incidents FROM crime_hotspots").fetchall() == [(3,)]


def test_one_database_file_sees_new_commits_rebuilds_for_new_tables_and_hides_the_quarantine(settings) -> None:
    import os

    from pipelines.lake.catalog import clean_dataset, quarantine_of

    lake = Lake(settings)
    lake.publish(CRIME_HOTSPOTS, pd.DataFrame([dict(HOTSPOT_ROW)]), None, "r1", "k1")
    lake.publish(quarantine_of(clean_dataset("crime_incidents")), pd.DataFrame(), None, "r1", "k1")
    con, found = open_database(settings)
    con.close()
    path = settings.bi_database_path
    assert path == settings.bi_database_path.parent / "citylake.duckdb" and path.parent.name == "bi"
    assert [v.name for v in found] == ["crime_hotspots"]  # the quarantine's records are not BI's
    built = os.stat(path).st_mtime_ns

    lake.publish(CRIME_HOTSPOTS, pd.DataFrame([dict(HOTSPOT_ROW, incidents=7)]), None, "r2", "k2")
    con, _ = open_database(settings)
    assert con.sql("SELECT incidents FROM crime_hotspots").fetchall() == [(7,)]  # the new commit, no rebuild
    con.close()
    assert os.stat(path).st_mtime_ns == built

    publish_undeclared(lake)
    con, found = open_database(settings)
    assert [v.name for v in found] == ["crime_hotspots", "scratch"] and os.stat(path).st_mtime_ns != built  # rebuilt
    for statement, refused in (
        ("SELECT * FROM read_text('/etc/passwd')", "file system operations are disabled by configuration"),
        ("SET enable_external_access = true", "the configuration has been locked"),
        ("CREATE VIEW v AS SELECT 1", "read-only"),
    ):
        with pytest.raises(duckdb.Error, match=refused):
            con.execute(statement)
    con.close()


def test_a_session_reads_each_table_as_of_its_first_query_of_it(settings) -> None:
    """Session mode: a connection pins each table's snapshot when it first reads it, filtered queries included;
    a new connection sees the newer commit, as a live one does at once. The lockdown is the same."""
    pinned = load_settings(lake_uri=settings.lake_uri, bi_snapshot="session")
    lake = Lake(settings)
    lake.publish(CRIME_HOTSPOTS, pd.DataFrame([dict(HOTSPOT_ROW)]), None, "r1", "k1")
    first, found = open_database(pinned)
    assert [v.name for v in found] == ["crime_hotspots"]
    assert snapshot_statements(first) == [
        f"ATTACH '{lake.uri(CRIME_HOTSPOTS)}' AS \"delta:crime_hotspots\" (TYPE delta, PIN_SNAPSHOT, PUSHDOWN_FILTERS 'none')"
    ]
    assert first.sql("SELECT incidents FROM crime_hotspots").fetchall() == [(3,)]
    comments = dict(first.sql("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
    assert comments == {"crime_hotspots": "Incidents per district, local weekday and hour, with the trend"}

    lake.publish(CRIME_HOTSPOTS, pd.DataFrame([dict(HOTSPOT_ROW, incidents=7)]), None, "r2", "k2")
    assert first.sql("SELECT incidents FROM crime_hotspots").fetchall() == [(3,)]
    assert first.sql("SELECT count(*) FROM crime_hotspots WHERE incidents = 7").fetchall() == [(0,)]
    second, _ = open_database(pinned)
    assert second.sql("SELECT incidents FROM crime_hotspots WHERE incidents > 0").fetchall() == [(7,)]
    live, _ = open_database(load_settings(lake_uri=settings.lake_uri, bi_snapshot="live"))  # the file, rebuilt
    assert live.sql("SELECT incidents FROM crime_hotspots").fetchall() == [(7,)]
    assert snapshot_statements(live) == []
    for statement, refused in (
        ("SELECT * FROM read_text('/etc/passwd')", "file system operations are disabled by configuration"),
        ("SET enable_external_access = true", "the configuration has been locked"),
        ("CREATE VIEW v AS SELECT 1", "read-only"),
        (
            f"ATTACH '{settings.bi_database_path.parent / 'other.duckdb'}' AS other",
            "file system operations are disabled by configuration",
        ),
    ):
        with pytest.raises(duckdb.Error, match=refused):
            first.execute(statement)
    for con in (first, second, live):
        con.close()


@pytest.mark.parametrize("mode", ["live", "session"])
def test_a_column_declared_after_the_last_publish_does_not_break_the_views(settings, mode) -> None:
    """After an upgrade declares a new column, the table lacks it until its next publish: its view still works."""
    settings = load_settings(lake_uri=settings.lake_uri, bi_snapshot=mode)
    lake = Lake(settings)
    older = CRIME_HOTSPOTS.arrow_schema.remove(CRIME_HOTSPOTS.arrow_schema.get_field_index("run_id"))
    row = {k: v for k, v in HOTSPOT_ROW.items() if k != "run_id"}
    delta.publish_frame(lake, lake.uri(CRIME_HOTSPOTS), pd.DataFrame([row]), older, ("period",), None, "r", "k")
    con, _ = open_database(settings)
    columns = dict(con.sql("SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'crime_hotspots'").fetchall())
    assert columns["run_id"] == "the run that published it" and columns["weekday"] == "local weekday, Monday = 0"
    assert con.sql("SELECT incidents, run_id FROM crime_hotspots").fetchall() == [(3, None)]  # null until republished
