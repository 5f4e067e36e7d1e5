"""Expectation suites as stored, their row rules, GX agreeing with them, and the quality gate."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipelines.lake.ledger import PartitionQuality
from pipelines.validate.gate import QualityGateError, check_gate
from pipelines.validate.suite import SuiteError, load_suite, validate_with_gx


def write_suite(directory: Path, name: str, document: dict) -> None:
    (directory / f"{name}.json").write_text(json.dumps(document))


def test_air_suite_rules_in_order() -> None:
    suite = load_suite("air_quality_hourly")
    assert suite.max_quarantine_ratio == 0.05
    assert [r.reason_code for r in suite.row_rules][:3] == ["MISSING_STATION", "INVALID_TIMESTAMP", "CONCENTRATION_OUT_OF_RANGE"]
    assert len(suite.row_rules) == 14


def test_suite_errors_name_file_and_key(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"no expectation suite 'absent': .*absent.json does not exist"):
        load_suite("absent", tmp_path)
    write_suite(tmp_path, "no_ratio", {"name": "no_ratio", "expectations": []})
    with pytest.raises(SuiteError, match=r"no_ratio.json: meta.max_quarantine_ratio must be a number between 0 and 1"):
        load_suite("no_ratio", tmp_path)
    write_suite(
        tmp_path,
        "no_code",
        {
            "name": "no_code",
            "meta": {"max_quarantine_ratio": 0.1},
            "expectations": [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}}],
        },
    )
    with pytest.raises(
        SuiteError, match=r"suite no_code: expectation #0 \(expect_column_values_to_not_be_null\) has no meta.reason_code"
    ):
        load_suite("no_code", tmp_path)


def test_row_rules_and_gx_agree(tmp_path: Path) -> None:
    write_suite(
        tmp_path,
        "small",
        {
            "name": "small",
            "meta": {"max_quarantine_ratio": 0.5},
            "expectations": [
                {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "k"}, "meta": {"reason_code": "K_NULL"}},
                {
                    "type": "expect_column_values_to_be_between",
                    "kwargs": {"column": "v", "min_value": 0, "max_value": 10},
                    "meta": {"reason_code": "V_RANGE"},
                },
                {
                    "type": "expect_column_values_to_be_in_set",
                    "kwargs": {"column": "c", "value_set": ["a", "b"]},
                    "meta": {"reason_code": "C_SET"},
                },
            ],
        },
    )
    suite = load_suite("small", tmp_path)
    frame = pd.DataFrame({"k": ["x", None, "y", "z", "w"], "v": [1.0, 50.0, 11.0, None, 2.0], "c": ["a", "a", "b", "q", None]})
    reason, detail = suite.first_failures(frame)
    assert reason.fillna("-").tolist() == ["-", "K_NULL", "V_RANGE", "C_SET", "-"]  # nulls pass range and set rules
    assert detail.tolist()[2] == "v=11.0 outside [0, 10]"
    assert validate_with_gx(frame[reason.isna()], suite, ["k", "v", "c"]).success
    failing = validate_with_gx(frame, suite, ["k", "v", "c"])
    assert not failing.success and failing.evaluated == 4 and len(failing.failed) == 3
    renamed = validate_with_gx(frame[reason.isna()], suite, ["k", "v", "category"])  # the declaration's columns
    assert renamed.failed == ["expect_table_columns_to_match_set(None): ['c', 'k', 'v']"]


def quality(partition: str, rows_in: int, clean: int, quarantined: int, dedup: int = 0, **kw) -> PartitionQuality:
    return PartitionQuality(
        "air_quality_hourly", partition, f"{partition}.csv", "0" * 64, rows_in, clean, quarantined, dedup, **kw
    )


def test_gate_passes_at_the_threshold_and_stops_beyond_it() -> None:
    suite = load_suite("air_quality_hourly")
    check_gate([quality("A", 100, 95, 5, quarantined_by_reason={"TYPE_MISMATCH": 5})], suite)
    with pytest.raises(QualityGateError) as error:
        check_gate(
            [
                quality("A", 100, 95, 5),
                quality("B", 100, 90, 6, 4, quarantined_by_reason={"TYPE_MISMATCH": 6}),
                quality("C", 10, 9, 0),
            ],
            suite,
        )
    assert str(error.value) == (
        "quality gate failed for 2 problem(s) in dataset air_quality_hourly; nothing was published:\n"
        "  B (B.csv): 6 of 100 rows quarantined (6.0% > threshold 5.0% of suite air_quality_hourly): TYPE_MISMATCH=6\n"
        "  C (C.csv): ledger does not balance: rows_in=10 but clean=9 + quarantined=0 + deduplicated=0"
    )
