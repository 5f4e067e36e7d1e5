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

RULES_SCHEMA = pa.schema([
    pa.field("period", pa.string()), pa.field("antecedent", pa.string()), pa.field("consequent", pa.string()),
    pa.field("antecedent_size", pa.int32()), pa.field("count", pa.int64()), pa.field("antecedent_count", pa.int64()),
    pa.field("consequent_count", pa.int64()), pa.field("support", pa.float64()), pa.field("confidence", pa.float64()),
    pa.field("lift", pa.float64()), pa.field("conviction", pa.float64()), pa.field("improvement", pa.float64()),
    pa.field("baskets", pa.int64()), pa.field("window_hours", pa.int32()), pa.field("min_support", pa.float64()),
    pa.field("min_confidence", pa.float64()), pa.field("min_lift", pa.float64()), pa.field("min_group_size", pa.int32()),
    pa.field("params_json", pa.string()), pa.field("input_versions", pa.string()), pa.field("code_version", pa.string()),
    pa.field("run_id", pa.string()),
])
SCHEMAS = {HOTSPOTS: HOTSPOTS_SCHEMA, RULES: RULES_SCHEMA}
PARTITION_BY = {HOTSPOTS: ("period",), RULES: ("period",)}
