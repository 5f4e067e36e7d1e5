"""The tables every clean dataset comes with: its quarantine, and the ledger that accounts for every row."""

from __future__ import annotations

from pipelines.lake.catalog.model import Column, Table
from pipelines.lake.layout import Zone

QUARANTINE_COLUMNS = (
    Column("source_partition", "string", description="the partition of the file the row came from (its file key, else its name)"),
    Column("reason_code", "string", description="why it was rejected (docs/feeds.md lists every code)"),
    Column("reason_detail", "string", description="the value and rule that failed"),
    Column("source_file", "string", description="the delivered file"),
    Column("source_sha256", "string", description="the version of that file"),
    Column("source_line", "int", description="its line (or record number) in that file; 0: the whole file"),
    Column("raw_record", "string", description="the record exactly as delivered (a JSON list of its fields)"),
    Column("run_id", "string", description="the run that rejected it"),
)


def quarantine_of(clean: Table) -> Table:
    """The quarantine table of a clean dataset: every row its feeds rejected, with the reason."""
    return Table(
        Zone.QUARANTINE,
        clean.name,
        clean.domain,
        f"Rows rejected on their way to clean/{clean.name}, with the reason",
        QUARANTINE_COLUMNS,
        grain="one row per rejected input row",
        partition_by=("source_partition",),
        cadence=clean.cadence,
        producer=clean.producer,
        logic=clean.logic,
        notes="For the data stewards, not for BI: `raw_record` keeps what was delivered. Exact copies of a row are "
        "not quarantined: one is kept and the others are counted as `rows_deduplicated` in the ledger.",
        time_column=None,
    )


LEDGER = Table(
    Zone.META,
    "ledger",
    "lake",
    "Per dataset and partition, the counts of the latest publish",
    (
        Column("dataset", "string", description="the clean dataset"),
        Column("source_partition", "string", description="the partition (a station, a delivered file)"),
        Column("source_file", "string", description="the file published for it"),
        Column("source_sha256", "string", description="that file's version"),
        Column("rows_in", "int", description="rows read from the file"),
        Column("rows_clean", "int", description="rows published in the clean table"),
        Column("rows_quarantined", "int", description="rows published in the quarantine table"),
        Column("rows_deduplicated", "int", description="rows dropped as copies or by the feed's duplicates policy"),
        Column("quarantined_by_reason", "string", description="JSON: reason code -> rows"),
        Column(
            "deduplicated_by_reason",
            "string",
            description="JSON: why rows were dropped (exact copy, differs only in unmapped columns: ..., the policy) -> rows",
        ),
        Column("gaps", "int", description="missing steps of the feed's row clock (gaps are flagged, never filled)"),
        Column(
            "processing_key", "string", description="hash of the file version, feed YAML, suite and clean logic it was made with"
        ),
        Column("run_id", "string", description="the run that published it"),
    ),
    grain="one row per dataset and source partition",
    key=("dataset", "source_partition"),
    partition_by=("dataset",),
    producer="the clean DAG of each feed",
    notes="`rows_in = rows_clean + rows_quarantined + rows_deduplicated` always holds. Every run also writes a JSON "
    "record to `_meta/runs/<pipeline>/<run_id>.json` (inputs, code and logic versions, suite fingerprint, ledger, "
    "published table versions).",
    time_column=None,
)
