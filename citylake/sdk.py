"""The lake as an analyst uses it from Python: what is there, what it means, its rows (as of any version), SQL.

It sees what BI sees (marts, clean datasets, the ledger; never a quarantine table) and goes through the same
locked-down SQL surface (`pipelines/bi/sql.py`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pandas as pd

from pipelines.bi.sql import View, open_database, query, views
from pipelines.config import Settings, load_settings
from pipelines.lake import delta
from pipelines.lake.status import TableStatus, expected_cadences, table_statuses
from pipelines.lake.storage import Lake as LakeStorage
from pipelines.sources.registry import valid_sources

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    import pyarrow.compute as pc

Filter = tuple[str, str, object]


@dataclass(frozen=True)
class TableInfo:
    """What `Lake.describe` says of a table: its contract and its state."""

    name: str
    zone: str
    description: str
    columns: pd.DataFrame  # name, type, unit, meaning
    key: tuple[str, ...]
    partitions: tuple[str, ...]
    owner: str
    producer: str
    cadence: str | None
    version: int
    last_publish: dt.datetime
    rows: int
    freshness: str


def _condition(column: str, op: str, value: object) -> pc.Expression:
    """One `where` condition as an Arrow expression (pushed down to partitions and file statistics)."""
    import pyarrow.compute as pc

    field = pc.field(column)
    if op in ("=", "=="):
        return field == value
    if op == "!=":
        return field != value
    if op == "in":
        return field.isin(list(value))  # type: ignore[call-overload]
    comparisons = {"<": field.__lt__, "<=": field.__le__, ">": field.__gt__, ">=": field.__ge__}
    if op not in comparisons:
        raise ValueError(f"unknown operator {op!r} in where: use one of = != < <= > >= in")
    return comparisons[op](value)


class Lake:
    """One city's lake. `Lake()` is the project's (CITYLAKE_LAKE_URI or var/lake); `Lake("s3://bucket")` another."""

    def __init__(self, lake_uri: str | None = None, settings: Settings | None = None) -> None:
        self.settings = settings or (load_settings(lake_uri=lake_uri) if lake_uri else load_settings())

    def __repr__(self) -> str:
        return f"Lake({self.settings.lake_uri!r})"

    def _views(self) -> dict[str, View]:
        return {v.name: v for v in views(LakeStorage(self.settings))}

    def _view(self, name: str) -> View:
        found = self._views()
        if name not in found:
            import difflib

            nearest = difflib.get_close_matches(name, list(found), n=1)
            hint = f"did you mean {nearest[0]!r}? " if nearest else ""
            raise KeyError(f"no table {name!r} in {self.settings.lake_uri}; {hint}tables: {', '.join(sorted(found))}")
        return found[name]

    def _statuses(self) -> dict[str, TableStatus]:
        from pipelines.lake.catalog import tables

        cadences = expected_cadences(tables(), [(f.dataset, f.cadence) for f in valid_sources().values()])
        visible = {(v.zone, v.uri.rsplit("/", 1)[-1]): name for name, v in self._views().items()}
        return {
            visible[(s.zone, s.dataset)]: s
            for s in table_statuses(LakeStorage(self.settings), cadences)
            if (s.zone, s.dataset) in visible
        }

    def tables(self) -> pd.DataFrame:
        """Every table you can read: name, zone, rows, version, last publish (UTC), freshness, what it is."""
        now = dt.datetime.now(dt.UTC)
        found = self._views()
        rows = [
            {
                "name": name,
                "zone": s.zone.value,
                "rows": s.rows,
                "version": s.version,
                "last_publish_utc": s.last_publish,
                "freshness": s.freshness(now),
                "description": _description(found[name]),
            }
            for name, s in sorted(self._statuses().items())
        ]
        return pd.DataFrame(rows, columns=["name", "zone", "rows", "version", "last_publish_utc", "freshness", "description"])

    def describe(self, name: str) -> TableInfo:
        """A table's contract (columns with unit and meaning, key, partitions, owner, producer) and state."""
        view = self._view(name)
        status = self._statuses()[name]
        table = view.table
        columns = pd.DataFrame(
            [(c.name, c.type, c.unit, c.description) for c in table.columns] if table else [],
            columns=["name", "type", "unit", "meaning"],
        )
        return TableInfo(
            name=name,
            zone=view.zone.value,
            description=_description(view),
            columns=columns,
            key=table.key if table else (),
            partitions=table.storage_partition_by if table else (),
            owner=table.domain if table else "-",
            producer=table.producer if table else "-",
            cadence=str(status.cadence) if status.cadence else None,
            version=status.version,
            last_publish=status.last_publish,
            rows=status.rows,
            freshness=status.freshness(dt.datetime.now(dt.UTC)),
        )

    def read(
        self,
        name: str,
        columns: list[str] | None = None,
        where: list[Filter] | None = None,
        as_of: int | dt.datetime | None = None,
        to: Literal["pandas", "arrow"] = "pandas",
    ) -> pd.DataFrame | pa.Table:
        """A table's rows: some `columns`, those matching `where` ([(column, op, value)], ANDed; partitions and
        file statistics prune what is read), as of a version or a moment, as pandas or Arrow."""
        table = delta.open_table(LakeStorage(self.settings), self._view(name).uri, as_of)
        dataset = table.to_pyarrow_dataset()
        expression = None
        for column, op, value in where or []:
            term = _condition(column, op, value)
            expression = term if expression is None else expression & term
        result = dataset.to_table(columns=columns, filter=expression)
        return result if to == "arrow" else result.to_pandas()

    def sql(self, statement: str) -> pd.DataFrame:
        """One read-only SQL query over the tables (DuckDB, the same locked-down surface as `citylake query`)."""
        return query(self.settings, statement)

    def search(
        self,
        key: str | None = None,
        near: tuple[float, float, float] | None = None,
        district: str | None = None,
        grid_cell: str | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        limit: int = 1000,
    ) -> pd.DataFrame:
        """Every record about a key, within `near` = (lat, lon, metres), in a district or cell, or between `start`
        and `end`, across every clean table: one row per hit with its table and the whole record (JSON)."""
        from pipelines.bi.search import Search, search

        return search(self.settings, Search(key, near, district, grid_cell, start, end), limit)

    def history(self, name: str) -> pd.DataFrame:
        """Every version of a table, newest first: when, what, which run, how many rows were added."""
        return delta.table_history(LakeStorage(self.settings), self._view(name).uri)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-only, locked-down DuckDB connection to the tables (for tools that want one)."""
        return open_database(self.settings)[0]


def _description(view: View) -> str:
    return view.table.description if view.table is not None else "not declared in the lake catalog"
