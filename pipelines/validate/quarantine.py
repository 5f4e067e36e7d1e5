"""The quarantine: every rejected row with its reason code, source file and line, and run id."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from pipelines.lake.catalog import Table
from pipelines.lake.catalog.meta import quarantine_of


def quarantine_rows(
    dataset: Table, rejects: pd.DataFrame, partition: str, source_file: str, source_sha256: str, run_id: str
) -> pa.Table:
    """Rejected rows of one partition of a clean dataset, as its quarantine table declares them."""
    frame = pd.DataFrame(
        {
            "source_partition": partition,
            "reason_code": rejects["reason_code"].astype(object),
            "reason_detail": rejects["reason_detail"].astype(object),
            "source_file": source_file,
            "source_sha256": source_sha256,
            "source_line": rejects["source_line"].astype("int64"),
            "raw_record": rejects["raw_record"].astype(object),
            "run_id": run_id,
        }
    )
    return quarantine_of(dataset).conform(frame)


def count_by_reason(rejects: pd.DataFrame) -> dict[str, int]:
    """How many rows each reason code quarantined, sorted by code."""
    counts = rejects["reason_code"].value_counts()
    return {str(code): int(counts[code]) for code in sorted(counts.index)}
