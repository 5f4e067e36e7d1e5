"""The ledger table: per dataset and partition, the counts of the latest published run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa

from pipelines.lake.catalog.meta import LEDGER
from pipelines.lake.delta import read_table, replace_rows, table_exists
from pipelines.lake.storage import Lake

if TYPE_CHECKING:
    import pandas


LEDGER_SCHEMA = LEDGER.arrow_schema


@dataclass(frozen=True)
class PartitionQuality:
    """The ledger entry of one partition: rows_in = clean + quarantined + deduplicated."""

    dataset: str
    partition: str
    source_file: str
    source_sha256: str
    rows_in: int
    rows_clean: int
    rows_quarantined: int
    rows_deduplicated: int
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    deduplicated_by_reason: dict[str, int] = field(default_factory=dict)  # why rows were dropped -> how many
    gaps: int = 0
    processing_key: str = ""  # hash of (file version, feed YAML, suite, clean logic version): equal keys, equal output
    gx_success: bool = True
    gx_failures: tuple[str, ...] = ()

    @property
    def balanced(self) -> bool:
        """Whether every row in is accounted for."""
        return self.rows_in == self.rows_clean + self.rows_quarantined + self.rows_deduplicated

    @property
    def quarantine_ratio(self) -> float:
        """The share of rows quarantined (0 for an empty partition)."""
        return self.rows_quarantined / self.rows_in if self.rows_in else 0.0


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
                **{
                    k: data[k]
                    for k in (
                        "dataset",
                        "source_file",
                        "source_sha256",
                        "rows_in",
                        "rows_clean",
                        "rows_quarantined",
                        "rows_deduplicated",
                        "gaps",
                        "processing_key",
                    )
                },
                "source_partition": entry.partition,
                "quarantined_by_reason": json.dumps(entry.quarantined_by_reason, sort_keys=True),
                "deduplicated_by_reason": json.dumps(entry.deduplicated_by_reason, sort_keys=True),
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


def read_ledger(lake: Lake, dataset: str | None = None) -> pandas.DataFrame:
    """The ledger, or one dataset's rows of it (empty when nothing was published yet)."""
    if not table_exists(lake, lake.layout.ledger_table()):
        return LEDGER_SCHEMA.empty_table().to_pandas()
    filters: list[tuple[str, str, object]] | None = [("dataset", "=", dataset)] if dataset else None
    return (
        read_table(lake, lake.layout.ledger_table(), filters).sort_values(["dataset", "source_partition"]).reset_index(drop=True)
    )
