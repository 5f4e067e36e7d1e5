"""The ledger table: per dataset and partition, the counts of the latest published run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

import pyarrow as pa

from pipelines.lake.delta import read_table, replace_rows, table_exists
from pipelines.lake.storage import Lake
from pipelines.validate.gate import PartitionQuality

LEDGER_SCHEMA = pa.schema(
    [
        pa.field("dataset", pa.string()),
        pa.field("source_partition", pa.string()),
        pa.field("source_file", pa.string()),
        pa.field("source_sha256", pa.string()),
        pa.field("rows_in", pa.int64()),
        pa.field("rows_clean", pa.int64()),
        pa.field("rows_quarantined", pa.int64()),
        pa.field("rows_deduplicated", pa.int64()),
        pa.field("quarantined_by_reason", pa.string()),
        pa.field("gaps", pa.int64()),
        pa.field("processing_key", pa.string()),
        pa.field("run_id", pa.string()),
    ]
)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def record_ledger(lake: Lake, entries: Sequence[PartitionQuality], run_id: str, replace_dataset: bool = False) -> None:
    """Replace the ledger rows of these (dataset, partition) pairs (or of their whole datasets) in one commit."""
    if not entries:
        return
    rows = []
    for entry in entries:
        data = asdict(entry)
        rows.append(
            {
                **{k: data[k] for k in ("dataset", "source_file", "source_sha256", "rows_in", "rows_clean",
                                        "rows_quarantined", "rows_deduplicated", "gaps", "processing_key")},
                "source_partition": entry.partition,
                "quarantined_by_reason": json.dumps(entry.quarantined_by_reason, sort_keys=True),
                "run_id": run_id,
            }
        )
    table = pa.Table.from_pylist(rows, schema=LEDGER_SCHEMA)
    datasets = sorted({e.dataset for e in entries})
    partitions = sorted({e.partition for e in entries})
    predicate = f"dataset IN ({', '.join(map(_sql_text, datasets))})"
    if not replace_dataset:
        predicate += f" AND source_partition IN ({', '.join(map(_sql_text, partitions))})"
    replace_rows(lake, lake.layout.ledger_table(), table, predicate, ("dataset",), run_id)


def published_processing_keys(lake: Lake, dataset: str) -> dict[str, str]:
    """Per partition of a dataset, the processing key of its published version."""
    ledger = read_ledger(lake, dataset)
    return dict(zip(ledger["source_partition"], ledger["processing_key"]))


def read_ledger(lake: Lake, dataset: str | None = None) -> "pandas.DataFrame":  # noqa: F821
    """The ledger, or one dataset's rows of it (empty when nothing was published yet)."""
    if not table_exists(lake, lake.layout.ledger_table()):
        return LEDGER_SCHEMA.empty_table().to_pandas()
    filters = [("dataset", "=", dataset)] if dataset else None
    return read_table(lake, lake.layout.ledger_table(), filters).sort_values(["dataset", "source_partition"]).reset_index(drop=True)
