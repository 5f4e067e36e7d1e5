"""docs/schemas.md and docs/marts.md, generated from the catalog (`citylake docs` writes them; a test keeps them in step)."""

from __future__ import annotations

from pipelines.lake.catalog import LEDGER, MART_SECTIONS, Table, Zone, tables
from pipelines.lake.catalog.meta import QUARANTINE_COLUMNS

GENERATED = "<!-- generated from pipelines/lake/catalog by `citylake docs`: edit the declarations, not this file -->"


def _columns(table: Table) -> list[str]:
    rows = ["| column | type | unit | meaning |", "|---|---|---|---|"]
    return rows + [f"| {c.name} | {c.type} | {c.unit or ''} | {c.description} |" for c in table.columns]


def schemas_markdown() -> str:
    """docs/schemas.md: the canonical datasets every feed is standardized into."""
    lines = [
        GENERATED,
        "# Canonical datasets",
        "",
        "Every feed is standardized into one of these datasets (`pipelines/lake/catalog/clean.py`). Times are UTC;",
        "units are part of the column name and listed below; `source_file` and `source_line` say where each row came from.",
    ]
    for dataset in tables(Zone.CLEAN):
        layout = ", ".join(dataset.partition_by) or "source_file (a re-delivered file replaces only its rows)"
        lines += [
            "",
            f"## {dataset.name}",
            "",
            f"{dataset.description}. Domain: {dataset.domain}. Key: ({', '.join(dataset.key)}). Partitioned by: {layout}.",
            "",
            *_columns(dataset),
        ]
    return "\n".join(lines) + "\n"


def _table_section(table: Table) -> list[str]:
    facts = [
        ("grain", table.grain + (f" (`{'`, `'.join(table.key)}` unique)" if table.key else "")),
        ("partition key", ", ".join(f"`{p}`" for p in table.storage_partition_by) or "none (one file set)"),
        (
            "produced by",
            (", ".join(f"DAG `{p}`" for p in table.producers) if table.producer.isidentifier() else table.producer)
            + f", asset `{table.name}`",
        ),
        ("made from", ", ".join(f"`{ref}`" for ref in table.inputs) or "-"),
        ("expected every", table.cadence or "-"),
        ("owner", table.domain),
    ]
    lines = ["", f"### {table.ref}", "", f"{table.description}.", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in facts]
    lines += ["", *_columns(table)]
    if table.notes:
        lines += ["", table.notes]
    return lines


def marts_markdown() -> str:
    """docs/marts.md: the contract of every mart, the quarantine and the ledger."""
    lines = [
        GENERATED,
        "# Data contracts",
        "",
        "Every table below is a Delta table (delta-rs). A publish is one atomic commit that replaces exactly the",
        "partitions it covers, checked against the declaration first (a frame with other columns or types is not",
        "published); the commit carries `citylake.run_id` and `citylake.idempotency_key` in its metadata",
        "(`DeltaTable(uri).history()`). Timestamps are UTC (`timestamp` = microseconds, UTC-adjusted). Paths are",
        "relative to the lake root (`CITYLAKE_LAKE_URI`). The canonical (clean) datasets: [schemas.md](schemas.md).",
        "",
        "## Every clean dataset's quarantine, and the ledger",
        "",
        "`quarantine/<dataset>`: one row per rejected input row, partitioned by `source_partition`.",
        "",
        "| column | type | unit | meaning |",
        "|---|---|---|---|",
        *[f"| {c.name} | {c.type} | {c.unit or ''} | {c.description} |" for c in QUARANTINE_COLUMNS],
        *_table_section(LEDGER),
    ]
    for section in MART_SECTIONS:
        lines += ["", f"## {section.title}"]
        if section.intro:
            lines += ["", section.intro]
        for table in section.tables:
            lines += _table_section(table)
        if section.outro:
            lines += ["", section.outro]
    return "\n".join(lines) + "\n"


def generated_docs() -> dict[str, str]:
    """Every generated page by its path in the repository."""
    return {"docs/schemas.md": schemas_markdown(), "docs/marts.md": marts_markdown()}
