"""Search across the lake: every record about a key, around a place, or in a time window, from every clean table.

A search names any of: a key (a pseudonymous person, a plate pseudonym, a sensor, a station: matched against each
table's key and identifier columns), a place (within r metres of a point, a grid cell, a district) and a time
window. A table is searched when it has the columns every given condition needs; each hit says the table it comes
from and carries the whole row. The queries run on the locked-down SQL surface (`bi/sql.py`); the place and time
conditions are plain comparisons on the stored columns, so DuckDB prunes files by Delta's min/max statistics
before reading any.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from pipelines.bi.sql import View, open_database
from pipelines.config import Settings
from pipelines.lake.layout import Zone

EARTH_RADIUS_M = 6_371_008.8
IDENTIFIER_SUFFIXES = ("_id", "_key", "_no", "_number")
SHOWN = {"ts_utc": "TIMESTAMPTZ", "latitude": "DOUBLE", "longitude": "DOUBLE", "district": "VARCHAR"}
HIT_COLUMNS = ["table", *SHOWN, "record"]


class SearchError(ValueError):
    """A search that names nothing to look for, or a place that is not one."""


@dataclass(frozen=True)
class Search:
    """What to look for; every condition given must hold."""

    key: str | None = None
    near: tuple[float, float, float] | None = None  # latitude, longitude (WGS84), radius in metres
    district: str | None = None
    grid_cell: str | None = None
    start: dt.datetime | None = None  # UTC, inclusive
    end: dt.datetime | None = None  # UTC, exclusive

    def __post_init__(self) -> None:
        if all(v is None for v in (self.key, self.near, self.district, self.grid_cell, self.start, self.end)):
            raise SearchError("say what to look for: a key, a place (near, district, grid cell) or a time window")
        if self.near is not None:
            lat, lon, radius = self.near
            if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 < radius <= 100_000):
                raise SearchError(f"near needs a WGS84 point and a radius of 1 m to 100 km, not {self.near}")


def _identifier_columns(view: View) -> list[str]:
    """The columns a key is looked for in: the table's key and identifier columns of text."""
    if view.table is None:
        return []
    text = {c.name for c in view.table.columns if c.type == "string"}
    named = [c for c in view.table.names if c.endswith(IDENTIFIER_SUFFIXES) or c in view.table.key]
    return [c for c in dict.fromkeys(named) if c in text and c not in ("source_file",)]


def table_query(view: View, search: Search) -> tuple[str, list[object]] | None:
    """The SQL and parameters that search one table, or None when it lacks a column a condition needs."""
    table = view.table
    if table is None or view.zone is not Zone.CLEAN:
        return None
    names = set(table.names)
    where: list[str] = []
    params: list[object] = []
    if search.key is not None:
        columns = _identifier_columns(view)
        if not columns:
            return None
        where.append("(" + " OR ".join(f'"{c}" = ?' for c in columns) + ")")
        params += [search.key] * len(columns)
    if search.near is not None:
        if not {"latitude", "longitude"} <= names:
            return None
        lat, lon, radius = search.near
        dlat = math.degrees(radius / EARTH_RADIUS_M)
        dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
        where.append("latitude BETWEEN ? AND ? AND longitude BETWEEN ? AND ?")  # prunes by file statistics
        params += [lat - dlat, lat + dlat, lon - dlon, lon + dlon]
        where.append(
            "2 * ? * asin(sqrt(pow(sin(radians(latitude - ?) / 2), 2) + cos(radians(?)) * cos(radians(latitude))"
            " * pow(sin(radians(longitude - ?) / 2), 2))) <= ?"
        )
        params += [EARTH_RADIUS_M, lat, lat, lon, radius]
    for column, value in (("district", search.district), ("grid_cell", search.grid_cell)):
        if value is not None:
            if column not in names:
                return None
            where.append(f'"{column}" = ?')
            params.append(value)
    if search.start is not None or search.end is not None:
        if table.time_column is None:
            return None
        if search.start is not None:
            where.append(f'"{table.time_column}" >= ?')
            params.append(search.start)
        if search.end is not None:
            where.append(f'"{table.time_column}" < ?')
            params.append(search.end)
    shown = [f'"{c}"' if c in names else f"NULL::{kind}" for c, kind in SHOWN.items()]
    sql = (
        f"SELECT '{view.name}' AS \"table\", {', '.join(shown)}, to_json(t)::VARCHAR AS record "
        f'FROM "{view.name}" AS t WHERE {" AND ".join(where)}'
    )
    return sql, params


def search(settings: Settings, what: Search, limit: int = 1000) -> pd.DataFrame:
    """Every hit in every clean table, newest first within each table (at most `limit` per table)."""
    con, found = open_database(settings)
    frames = []
    try:
        for view in found:
            planned = table_query(view, what)
            if planned is None:
                continue
            sql, params = planned
            order = f' ORDER BY "{view.table.time_column}" DESC NULLS LAST' if view.table and view.table.time_column else ""
            frame = con.execute(f"{sql}{order} LIMIT {int(limit)}", params).df()
            frame.columns = HIT_COLUMNS
            frames.append(frame)
    finally:
        con.close()
    hits = [f for f in frames if len(f)]
    return pd.concat(hits, ignore_index=True) if hits else pd.DataFrame(columns=HIT_COLUMNS)
