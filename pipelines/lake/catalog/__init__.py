"""The lake catalog: one declaration per table, from which assets, cadences, the lake page, the SQL views,
docs/schemas.md, docs/marts.md and every publish's schema check are derived.

Clean datasets are declared in `clean.py` and by departments in YAML (`declared.py`, `datasets/`), each with
its quarantine (`meta.py`); marts in one module per domain. Adding a mart: declare it in its domain's module (and its section), write its transform and test,
wire its DAG (`outlets` come from `producer`): docs/marts.md regenerates with `citylake docs`.
"""

from __future__ import annotations

import difflib
from functools import lru_cache

from pipelines.lake.catalog import egov, emergency, energy, environment, forecasting, health, public_safety, traffic, urban
from pipelines.lake.catalog.clean import CLEAN_DATASETS, GEO, LINEAGE, with_engine
from pipelines.lake.catalog.declared import Declarations, declarations, extended
from pipelines.lake.catalog.meta import LEDGER, quarantine_of
from pipelines.lake.catalog.model import Column, SchemaMismatch, Section, Table
from pipelines.lake.layout import Zone

__all__ = [
    "MART_SECTIONS",
    "Column",
    "SchemaMismatch",
    "Section",
    "Table",
    "Zone",
    "catalog",
    "clean_dataset",
    "get_table",
    "invalid_declarations",
    "produced_by",
    "tables",
]

MART_SECTIONS: tuple[Section, ...] = (
    environment.SECTION,
    environment.QUALITY_SECTION,
    energy.SECTION,
    traffic.SECTION,
    forecasting.SECTION,
    public_safety.SECTION,
    urban.SECTION,
    emergency.SECTION,
    health.SECTION,
    egov.SECTION,
)

MARTS_AND_META: tuple[Table, ...] = (*(t for section in MART_SECTIONS for t in section.tables), LEDGER)


@lru_cache(maxsize=8)
def _built(found: Declarations) -> tuple[dict[tuple[Zone, str], Table], tuple[tuple[str, str], ...]]:
    """The catalog with a folder's declarations applied, and the declarations that could not be."""
    clean = {d.name: d for d in CLEAN_DATASETS}
    invalid = list(found.invalid)
    for dataset in found.datasets:
        if dataset.name in clean:
            invalid.append(
                (dataset.name, f"{dataset.name}.yaml: name: {dataset.name} is already declared; use 'extends' to add columns")
            )
        else:
            clean[dataset.name] = with_engine(dataset)
    for name, columns, file in found.extensions:
        if name not in clean:
            invalid.append((file, f"{file}: extends: unknown dataset {name!r}; known: {', '.join(sorted(clean))}"))
            continue
        try:
            clean[name] = extended(clean[name], columns)
        except ValueError as exc:
            invalid.append((file, f"{file}: columns: {exc}"))
    everything = (*clean.values(), *(quarantine_of(d) for d in clean.values()), *MARTS_AND_META)
    return {(t.zone, t.name): t for t in everything}, tuple(invalid)


def catalog() -> dict[tuple[Zone, str], Table]:
    """Every declared table by (zone, name): the code's declarations and the departments' YAML ones."""
    return _built(declarations(LINEAGE, GEO))[0]


def invalid_declarations() -> dict[str, str]:
    """Per dataset YAML that could not be applied, its problems (file, key, problem)."""
    return dict(_built(declarations(LINEAGE, GEO))[1])


def tables(zone: Zone | None = None) -> list[Table]:
    """Every declared table (of one zone), in declaration order."""
    return [t for t in catalog().values() if zone is None or t.zone is zone]


def get_table(zone: Zone, name: str) -> Table:
    """A declared table, with the names of that zone's tables when it is not one."""
    try:
        return catalog()[(zone, name)]
    except KeyError:
        known = ", ".join(t.name for t in tables(zone))
        raise KeyError(f"no table {zone.value}/{name} is declared in the lake catalog; {zone.value} has: {known}") from None


def clean_dataset(name: str) -> Table:
    """A canonical (clean) dataset by name, with the list of known ones when the name is wrong."""
    try:
        return catalog()[(Zone.CLEAN, name)]
    except KeyError:
        known = sorted(t.name for t in tables(Zone.CLEAN))
        nearest = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {nearest[0]!r}? " if nearest else ""
        raise KeyError(f"unknown canonical dataset {name!r}; {hint}known: {', '.join(known)}") from None


def produced_by(dag_id: str) -> list[Table]:
    """The tables a DAG publishes (its Airflow outlets)."""
    found = [t for t in catalog().values() if dag_id in t.producers]
    if not found:
        raise KeyError(f"no table of the lake catalog names {dag_id!r} as its producer")
    return found
