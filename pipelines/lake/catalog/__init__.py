"""The lake catalog: one declaration per table, from which assets, cadences, the lake page, the SQL views,
docs/schemas.md, docs/marts.md and every publish's schema check are derived.

Clean datasets are declared in `clean.py` (each with its quarantine, `meta.py`), marts in one module per
domain. Adding a mart: declare it in its domain's module (and its section), write its transform and test,
wire its DAG (`outlets` come from `producer`): docs/marts.md regenerates with `citylake docs`.
"""

from __future__ import annotations

from pipelines.lake.catalog import environment, public_safety, traffic
from pipelines.lake.catalog.clean import CLEAN_DATASETS
from pipelines.lake.catalog.meta import LEDGER, quarantine_of
from pipelines.lake.catalog.model import Column, SchemaMismatch, Section, Table
from pipelines.lake.layout import Zone

__all__ = [
    "CATALOG",
    "MART_SECTIONS",
    "Column",
    "SchemaMismatch",
    "Section",
    "Table",
    "Zone",
    "clean_dataset",
    "get_table",
    "produced_by",
    "tables",
]

MART_SECTIONS: tuple[Section, ...] = (environment.SECTION, traffic.SECTION, public_safety.SECTION)

CATALOG: dict[tuple[Zone, str], Table] = {
    (t.zone, t.name): t
    for t in (
        *CLEAN_DATASETS,
        *(quarantine_of(d) for d in CLEAN_DATASETS),
        *(t for section in MART_SECTIONS for t in section.tables),
        LEDGER,
    )
}


def tables(zone: Zone | None = None) -> list[Table]:
    """Every declared table (of one zone), in declaration order."""
    return [t for t in CATALOG.values() if zone is None or t.zone is zone]


def get_table(zone: Zone, name: str) -> Table:
    """A declared table, with the names of that zone's tables when it is not one."""
    try:
        return CATALOG[(zone, name)]
    except KeyError:
        known = ", ".join(t.name for t in tables(zone))
        raise KeyError(f"no table {zone.value}/{name} is declared in the lake catalog; {zone.value} has: {known}") from None


def clean_dataset(name: str) -> Table:
    """A canonical (clean) dataset by name, with the list of known ones when the name is wrong."""
    try:
        return CATALOG[(Zone.CLEAN, name)]
    except KeyError:
        known = ", ".join(sorted(t.name for t in tables(Zone.CLEAN)))
        raise KeyError(f"unknown canonical dataset {name!r}; known: {known}") from None


def produced_by(dag_id: str) -> list[Table]:
    """The tables a DAG publishes (its Airflow outlets)."""
    found = [t for t in CATALOG.values() if t.producer == dag_id]
    if not found:
        raise KeyError(f"no table of the lake catalog names {dag_id!r} as its producer")
    return found
