"""Datasets declared in YAML by a department, no Python: `datasets/<name>.yaml` (or CITYLAKE_DATASETS_DIR).

A file either declares a new canonical dataset::

    name: electricity_demand
    domain: energy
    description: Electricity demand per balancing area and interval
    columns:
      - {name: region, type: string, description: balancing area}
      - {name: ts_utc, type: timestamp, description: start of the interval, UTC}
      - {name: demand_mw, type: float, unit: MW, description: mean demand over the interval}
    key: [region, ts_utc]

or adds columns to one declared in code (`extends: traffic_readings` with `columns:`). Lineage columns
(`source_file`, `source_line`) are added to every dataset, and `geo: true` adds the geo-referencing ones.
A file that fails its check is kept out with its message (file, key, problem); the others still load.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipelines.config import PROJECT_ROOT, config_problems, yaml_mapping
from pipelines.lake.catalog.model import TYPES, Column, Table
from pipelines.lake.layout import Zone

DATASETS_DIR = PROJECT_ROOT / "datasets"
NAME = r"^[a-z][a-z0-9_]*$"


def datasets_dir() -> Path:
    """Where the dataset YAML files are: CITYLAKE_DATASETS_DIR, else the project's `datasets/`."""
    return Path(os.environ.get("CITYLAKE_DATASETS_DIR") or DATASETS_DIR)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnDeclaration(_Strict):
    """One column: name, type, unit (for measures) and meaning."""

    name: Annotated[str, Field(pattern=NAME)]
    type: str
    unit: str | None = None
    description: Annotated[str, Field(min_length=1)]

    @model_validator(mode="after")
    def _known_type(self) -> ColumnDeclaration:
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}; known: {', '.join(TYPES)}")
        if self.unit is not None and self.type not in ("float", "int", "int32", "int16", "int8"):
            raise ValueError(f"column {self.name}: a unit is for numbers, not for a {self.type}")
        return self

    def column(self) -> Column:
        return Column(self.name, self.type, self.unit, self.description)


class DatasetDeclaration(_Strict):
    """A new canonical dataset (`name`) or more columns for a declared one (`extends`)."""

    name: Annotated[str, Field(pattern=NAME)] | None = None
    extends: str | None = None
    domain: str | None = None
    description: str | None = None
    columns: Annotated[list[ColumnDeclaration], Field(min_length=1)]
    key: list[str] = []
    partition_by: list[str] = []
    time_column: str | None = "ts_utc"
    geo: bool = False  # add latitude, longitude, district, outside_districts and grid_cell

    @model_validator(mode="after")
    def _new_or_extension(self) -> DatasetDeclaration:
        if (self.name is None) == (self.extends is None):
            raise ValueError("give exactly one of 'name' (a new dataset) or 'extends' (columns for a declared one)")
        if self.extends is not None:
            given = [k for k in ("domain", "description", "key", "partition_by", "geo") if getattr(self, k)]
            if given:
                raise ValueError(f"an extension only adds 'columns'; {', '.join(given)} belong to the dataset it extends")
        else:
            missing = [k for k in ("domain", "description") if not getattr(self, k)]
            if missing or not self.key:
                raise ValueError(f"a new dataset needs {', '.join([*missing, *(['key'] if not self.key else [])])}")
        return self


@dataclass(frozen=True)
class Declarations:
    """What one folder declares: new datasets, columns per extended dataset, each invalid file's problems."""

    datasets: tuple[Table, ...] = ()
    extensions: tuple[tuple[str, tuple[Column, ...], str], ...] = ()  # (dataset, columns, file)
    invalid: tuple[tuple[str, str], ...] = ()  # (file, problems)


def _parse(path: Path) -> DatasetDeclaration:
    document = yaml_mapping(path)
    try:
        return DatasetDeclaration.model_validate(document)
    except ValidationError as exc:
        raise ValueError(config_problems(str(path), exc)) from None


def declared_table(declaration: DatasetDeclaration, lineage: tuple[Column, ...], geo: tuple[Column, ...]) -> Table:
    """A new dataset's Table (Table checks duplicated names and undeclared key/partition columns)."""
    columns = tuple(c.column() for c in declaration.columns) + (geo if declaration.geo else ()) + lineage
    names = {c.name for c in columns}
    time_column = declaration.time_column if declaration.time_column in names else None
    if declaration.time_column and declaration.time_column != "ts_utc" and time_column is None:
        raise ValueError(f"time_column {declaration.time_column!r} is not among the columns")
    if time_column is not None and next(c for c in columns if c.name == time_column).type != "timestamp":
        raise ValueError(f"time_column {time_column!r} must be a timestamp")
    return Table(
        Zone.CLEAN,
        str(declaration.name),
        str(declaration.domain),
        str(declaration.description),
        columns,
        key=tuple(declaration.key),
        partition_by=tuple(declaration.partition_by),
        time_column=time_column,
    )


@lru_cache(maxsize=8)
def _load(
    directory: str, signature: tuple[tuple[str, int, int], ...], lineage: tuple[Column, ...], geo: tuple[Column, ...]
) -> Declarations:
    datasets: list[Table] = []
    extensions: list[tuple[str, tuple[Column, ...], str]] = []
    invalid: list[tuple[str, str]] = []
    for name, _, _ in signature:
        path = Path(directory) / name
        try:
            declaration = _parse(path)
            if declaration.extends is not None:
                extensions.append((declaration.extends, tuple(c.column() for c in declaration.columns), path.name))
            else:
                if declaration.name != path.stem:
                    raise ValueError(f"{path}: name: {declaration.name!r} must equal the file name {path.stem!r}")
                try:
                    datasets.append(declared_table(declaration, lineage, geo))
                except ValueError as exc:
                    raise ValueError(f"{path}: {exc}") from None
        except ValueError as exc:
            invalid.append((path.name, str(exc)))
    return Declarations(tuple(datasets), tuple(extensions), tuple(invalid))


def declarations(lineage: tuple[Column, ...], geo: tuple[Column, ...], directory: Path | None = None) -> Declarations:
    """Every dataset YAML of the folder, read and checked once per change of its files."""
    folder = directory or datasets_dir()
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    return _load(str(folder), tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files), lineage, geo)


def extended(dataset: Table, columns: tuple[Column, ...]) -> Table:
    """A dataset with a department's columns added at the end (an existing table gains them, null before)."""
    clash = sorted({c.name for c in columns} & set(dataset.names))
    if clash:
        raise ValueError(f"{dataset.name} already has the column(s) {', '.join(clash)}")
    return replace(dataset, columns=dataset.columns + columns)
