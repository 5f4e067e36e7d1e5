"""The public-safety marts' schemas and partitioning (contracts: docs/marts.md)."""

from __future__ import annotations

import pyarrow as pa

HOTSPOTS = "crime_hotspots"
RULES = "crime_rules"

HOTSPOTS_SCHEMA = pa.schema([
    pa.field("period", pa.string()), pa.field("district", pa.string()), pa.field("weekday", pa.int8()),
    pa.field("hour", pa.int8()), pa.field("incidents", pa.int64()), pa.field("previous_incidents", pa.int64()),
    pa.field("change_pct", pa.float64()), pa.field("suppressed", pa.bool_()),
    pa.field("granularity", pa.string()), pa.field("run_id", pa.string()),
])
SCHEMAS = {HOTSPOTS: HOTSPOTS_SCHEMA}
PARTITION_BY = {HOTSPOTS: ("period",)}
