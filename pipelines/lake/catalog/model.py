"""What a declaration of a lake table says: its columns (type, unit, meaning), grain, layout, cadence, owner, producer.

Declarations are data: this module and the modules beside it import nothing above the lake layer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipelines.lake.layout import Zone

if TYPE_CHECKING:  # pyarrow is imported where schemas are built, not where DAG files read the catalog
    import pandas as pd
    import pyarrow as pa

# the declared type -> the pyarrow factory of the type the lake stores
TYPES: dict[str, str] = {
    "string": "string",
    "float": "float64",
    "int": "int64",
    "int32": "int32",
    "int16": "int16",
    "int8": "int8",
    "bool": "bool_",
    "timestamp": "timestamp",
    "date": "date32",
}


class SchemaMismatch(ValueError):
    """A frame does not have the columns and types its table declares: it is not published."""


def to_arrow(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """A pandas frame as an Arrow table of exactly `schema` (strings as plain text with nulls, not NaN)."""
    import pyarrow as pa

    if frame.empty:  # e.g. a file quarantined whole: its "clean rows" frame may not even have the columns
        return schema.empty_table()
    plain = frame.copy()
    for column in schema:
        if pa.types.is_string(column.type) and plain[column.name].dtype == object:  # Arrow-backed text has nulls already
            plain[column.name] = plain[column.name].astype(object).where(plain[column.name].notna(), None)
    return pa.Table.from_pandas(plain[schema.names], schema=schema, preserve_index=False)


@dataclass(frozen=True)
class Column:
    """One column: its type, its unit (None for unit-less) and what it means, in one line."""

    name: str
    type: str
    unit: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}; known: {', '.join(TYPES)}")

    @property
    def arrow_type(self) -> pa.DataType:
        """The Arrow type the lake stores (timestamps: microseconds, UTC)."""
        import pyarrow as pa

        factory = getattr(pa, TYPES[self.type])
        return factory("us", tz="UTC") if self.type == "timestamp" else factory()


@dataclass(frozen=True)
class Table:
    """One table of the lake, declared once: every use (assets, views, docs, publish checks) reads this."""

    zone: Zone
    name: str
    domain: str  # the department / application that owns it
    description: str
    columns: tuple[Column, ...]
    grain: str = ""
    key: tuple[str, ...] = ()
    partition_by: tuple[str, ...] = ()
    cadence: str | None = None  # how often it is expected to be republished (a pandas offset: 1h, 1D, 7D); None: no cadence
    producer: str = ""  # the DAG that publishes it
    logic: tuple[str, ...] = ()  # modules (or packages) whose code decides its content: their change reprocesses it
    notes: str = ""  # the rest of its contract, markdown
    time_column: str | None = "ts_utc"
    inputs: tuple[str, ...] = ()  # the tables it is computed from, as `zone/name` (lineage, the lake page)
    shared_with: tuple[str, ...] = ()  # other DAGs that publish it too, each its own domain's partitions

    @property
    def producers(self) -> tuple[str, ...]:
        """Every DAG that publishes it."""
        return (self.producer, *self.shared_with)

    def __post_init__(self) -> None:
        names = self.names
        duplicated = sorted({n for n in names if names.count(n) > 1})
        unknown = sorted((set(self.key) | set(self.partition_by)) - set(names))
        malformed = [ref for ref in self.inputs if ref.count("/") != 1 or ref.split("/")[0] not in {z.value for z in Zone}]
        if malformed:
            raise ValueError(f"table {self.ref}: inputs are named zone/table, not {malformed}")
        if duplicated or unknown:
            raise ValueError(
                f"table {self.ref}: duplicated columns {duplicated}, key or partition columns not declared {unknown}"
            )

    @property
    def ref(self) -> str:
        """`zone/name`, as paths and docs name it."""
        return f"{self.zone.value}/{self.name}"

    @property
    def names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """A column by name."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.ref} has no column {name!r}; columns: {', '.join(self.names)}")

    @property
    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema every publish must match."""
        import pyarrow as pa

        return pa.schema([pa.field(c.name, c.arrow_type) for c in self.columns])

    @property
    def logic_version(self) -> str:
        """The version of what decides this table's content: its logic modules' code and its declared schema."""
        from pipelines.lake.versions import logic_version

        schema = ";".join(f"{c.name}:{c.type}" for c in self.columns)
        return f"{logic_version(self.logic)}-{hashlib.sha256(schema.encode()).hexdigest()[:8]}"

    @property
    def storage_partition_by(self) -> tuple[str, ...]:
        """How the files are laid out: the declared partitions; a clean dataset without any is laid out by delivered file."""
        if self.partition_by or self.zone is not Zone.CLEAN or "source_file" not in self.names:
            return self.partition_by
        return ("source_file",)

    def conform(self, frame: pd.DataFrame) -> pa.Table:
        """The frame as an Arrow table of exactly this schema; SchemaMismatch naming the columns when it is not one."""
        import pyarrow as pa

        missing = [n for n in self.names if n not in frame.columns]
        extra = [str(c) for c in frame.columns if c not in set(self.names)]
        if (missing or extra) and not frame.empty:
            raise SchemaMismatch(
                f"{self.ref} does not match its declaration: missing columns {missing}, undeclared columns {extra}"
            )
        try:
            return to_arrow(frame, self.arrow_schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
            raise SchemaMismatch(f"{self.ref}: a column does not have its declared type: {exc}") from exc


@dataclass(frozen=True)
class Section:
    """A chapter of docs/marts.md: one domain's tables with what applies to all of them."""

    title: str
    tables: tuple[Table, ...]
    intro: str = ""
    outro: str = ""
