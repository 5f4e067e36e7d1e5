"""The quarantine: every rejected row with its reason code, source file and line, and run id."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from pipelines.lake.delta import arrow_table

PARTITION_BY = ("source_partition",)
QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("source_partition", pa.string()),
        pa.field("reason_code", pa.string()),
        pa.field("reason_detail", pa.string()),
        pa.field("source_file", pa.string()),
        pa.field("source_sha256", pa.string()),
        pa.field("source_line", pa.int64()),
        pa.field("raw_record", pa.string()),
        pa.field("run_id", pa.string()),
    ]
)


def quarantine_rows(rejects: pd.DataFrame, partition: str, source_file: str, source_sha256: str, run_id: str) -> pa.Table:
    """Rejected rows of one partition in the quarantine table's schema."""
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
    return arrow_table(frame, QUARANTINE_SCHEMA)


def count_by_reason(rejects: pd.DataFrame) -> dict[str, int]:
    """How many rows each reason code quarantined, sorted by code."""
    counts = rejects["reason_code"].value_counts()
    return {str(code): int(counts[code]) for code in sorted(counts.index)}
