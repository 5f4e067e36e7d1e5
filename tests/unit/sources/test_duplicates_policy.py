"""A feed's duplicates policy, end to end: what differs only in unmapped columns is counted and named in the ledger."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pyarrow as pa
import yaml
from deltalake import write_deltalake

from pipelines.config import PROJECT_ROOT
from pipelines.lake.ledger import LEDGER_SCHEMA, PartitionQuality, read_ledger, record_ledger
from pipelines.lake.storage import Lake
from pipelines.sources.spec import parse_feed
from pipelines.sources.standardize import FeedContext, standardize
from pipelines.validate.suite import load_suite

# the same reading delivered twice by two operators (not mapped), and 10:00 twice with two flows
CSV = b"""Time,Water flow [l/s],operator
2024-05-01T08:00:00+08:00,1.5,night shift
2024-05-01T08:00:00+08:00,1.5,day shift
2024-05-01T09:00:00+08:00,1.6,day shift
2024-05-01T10:00:00+08:00,1.7,day shift
2024-05-01T10:00:00+08:00,1.9,day shift
"""


def feed(**duplicates: object):
    document = yaml.safe_load((PROJECT_ROOT / "sources" / "pipe_flow.yaml").read_text(encoding="utf-8"))
    return parse_feed({**document, "duplicates": duplicates} if duplicates else document, "sources/x.yaml")


def run(spec):
    return standardize(CSV, spec, load_suite(spec.suite), FeedContext("water_flow.csv", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))


def test_by_default_conflicts_are_quarantined_and_unmapped_differences_named() -> None:
    result = run(feed())
    assert (result.rows_in, len(result.clean), len(result.rejects), result.rows_deduplicated) == (5, 2, 2, 1)
    assert result.rejects["reason_code"].tolist() == ["DUPLICATE_KEY_CONFLICT", "DUPLICATE_KEY_CONFLICT"]
    assert result.deduplicated_by_reason == {"differs only in unmapped columns: operator": 1}


def test_keep_first_keeps_the_earlier_reading_and_says_so() -> None:
    result = run(feed(policy="keep_first"))
    assert result.clean["flow_l_s"].tolist() == [1.5, 1.6, 1.7] and result.rejects.empty
    assert result.deduplicated_by_reason == {
        "differs only in unmapped columns: operator": 1,
        "superseded by an earlier row (keep_first)": 1,
    }
    assert result.balanced


def test_the_ledger_records_why_rows_were_dropped_and_an_older_ledger_gains_the_column(settings) -> None:
    lake = Lake(settings)
    older = pa.schema([f for f in LEDGER_SCHEMA if f.name != "deduplicated_by_reason"])
    row = {f.name: ("0" if pa.types.is_string(f.type) else 0) for f in older}
    write_deltalake(
        lake.layout.ledger_table(),
        pa.Table.from_pylist([{**row, "dataset": "water_readings", "source_partition": "old"}], schema=older),
        partition_by=["dataset"],
    )
    entry = PartitionQuality(
        "water_readings",
        "water_flow.csv",
        "water_flow.csv",
        "f" * 64,
        5,
        3,
        0,
        2,
        deduplicated_by_reason={"differs only in unmapped columns: operator": 1, "exact copy": 1},
    )
    record_ledger(lake, [entry], "run-1")
    ledger = read_ledger(lake, "water_readings").set_index("source_partition")
    assert json.loads(ledger.loc["water_flow.csv", "deduplicated_by_reason"]) == {
        "differs only in unmapped columns: operator": 1,
        "exact copy": 1,
    }
    assert pd.isna(ledger.loc["old", "deduplicated_by_reason"])  # written before the column existed
