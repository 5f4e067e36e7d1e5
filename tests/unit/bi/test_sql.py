"""The SQL surface: a view per published table, commented from the lake catalog."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from pipelines.bi.sql import connect
from pipelines.lake import delta
from pipelines.lake.catalog.public_safety import CRIME_HOTSPOTS
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake
from tests.conftest import HOTSPOT_ROW


def test_declared_views_carry_their_meaning_and_undeclared_ones_say_so(settings) -> None:
    lake = Lake(settings)
    row = dict(HOTSPOT_ROW)
    lake.publish(CRIME_HOTSPOTS, pd.DataFrame([row]), None, "r", "k")
    delta.publish_frame(
        lake,
        lake.layout.table(Zone.CURATED, "scratch"),
        pd.DataFrame({"x": [1]}),
        pa.schema([pa.field("x", pa.int64())]),
        (),
        None,
        "r",
        "k",
    )

    con, views = connect(settings)
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
