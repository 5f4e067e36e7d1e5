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


def test_gx_decides_the_rows_and_the_first_expectation_names_the_reason(tmp_path: Path) -> None:
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
                {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "k"}},
            ],
        },
    )
    suite = load_suite("small", tmp_path)
    frame = pd.DataFrame(
        {"k": ["x", None, "y", "z", "w", "x"], "v": [1.0, 50.0, 11.0, None, 2.0, 3.0], "c": ["a", "a", "b", "q", None, "b"]},
        index=[10, 11, 12, 13, 14, 15],  # a partition's own index: positions map back to it
    )
    reason, detail = suite.first_failures(frame)
    assert reason.fillna("-").tolist() == ["-", "K_NULL", "V_RANGE", "C_SET", "-", "-"]  # nulls pass range and set rules
    assert detail.tolist()[1:4] == ["k is missing", "v=11.0 outside [0, 10]", "c='q' not in the allowed set"]
    assert [r.reason_code for r in suite.row_rules] == ["K_NULL", "V_RANGE", "C_SET"]  # uniqueness is the table's
    clean = frame[reason.isna()]
    failing = validate_with_gx(clean, suite, ["k", "v", "c"])  # k = 'x' twice: the table check fails
    assert (failing.success, failing.evaluated, failing.failed) == (False, 2, ["expect_column_values_to_be_unique(k): 2"])
    assert validate_with_gx(clean.iloc[:2], suite, ["k", "v", "c"]).success
    renamed = validate_with_gx(clean.iloc[:2], suite, ["k", "v", "category"])  # the declaration's columns
    assert renamed.failed == ["expect_table_columns_to_match_set(None): ['c', 'k', 'v']"]


@pytest.mark.parametrize(
    ("expectation", "values", "bad", "detail"),
    [
        (
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "v", "min_value": 0, "max_value": 10, "strict_min": True},
            },
            [0, 5, 10, None],
            [0],
            "v=0.0 outside (0, 10]",
        ),
        (
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "v", "min_value": 0, "max_value": 10, "mostly": 0.5},
            },
            [-1, 5, 10, 3],
            [0],  # `mostly` lets the batch pass; the row that breaks the rule is still named and quarantined
            "v=-1.0 outside [0, 10]",
        ),
        ({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "v"}}, [1, None, 2, None], [1, 3], "v is missing"),
        (
            {"type": "expect_column_values_to_not_be_in_set", "kwargs": {"column": "s", "value_set": ["n/a"]}},
            ["ok", "n/a", None, "fine"],
            [1],
            "s='n/a' is a forbidden value",
        ),
        (
            {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "s", "regex": "^[A-Z]{2}-[0-9]{3}$"}},
            ["AB-123", "x", None, "CD-9"],
            [1, 3],
            "s='x' does not match '^[A-Z]{2}-[0-9]{3}$'",
        ),
        (
            {"type": "expect_column_value_lengths_to_be_between", "kwargs": {"column": "s", "min_value": 2, "max_value": 3}},
            ["ab", "abcd", "a", "abc"],
            [1, 2],
            "s='abcd' has a length outside [2, 3]",
        ),
        (
            {"type": "expect_column_values_to_be_dateutil_parseable", "kwargs": {"column": "s"}},
            ["2024-05-01", "yesterday-ish", "1 May 2024", None],
            [1],
            "s='yesterday-ish' fails column_values_to_be_dateutil_parseable",
        ),
        (
            {
                "type": "expect_column_pair_values_a_to_be_greater_than_b",
                "kwargs": {"column_A": "v", "column_B": "w", "or_equal": True},
            },
            [5, 1, 3, 9],
            [1],
            "v=1.0, w=2.0 fails column_pair_values_a_to_be_greater_than_b",
        ),
    ],
)
def test_each_expectation_type_quarantines_exactly_its_rows(tmp_path: Path, expectation, values, bad, detail) -> None:
    expectation = {**expectation, "meta": {"reason_code": "BROKEN"}}
    write_suite(tmp_path, "one", {"name": "one", "meta": {"max_quarantine_ratio": 1}, "expectations": [expectation]})
    column = "s" if isinstance(next(v for v in values if v is not None), str) else "v"
    frame = pd.DataFrame({column: values, "w": [2.0] * len(values)})
    if column == "v":
        frame["v"] = frame["v"].astype("float64")
    reason, details = load_suite("one", tmp_path).first_failures(frame)
    assert reason[reason.notna()].index.tolist() == bad
    assert set(reason.dropna()) == {"BROKEN"} and details[bad[0]] == detail


def test_an_expectation_that_cannot_name_rows_is_refused_at_load(tmp_path: Path) -> None:
    mean = {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "v", "min_value": 0}, "meta": {"reason_code": "X"}}
    write_suite(tmp_path, "mean", {"name": "mean", "meta": {"max_quarantine_ratio": 0.1}, "expectations": [mean]})
    with pytest.raises(
        SuiteError,
        match=r"suite mean: expectation #0 \(expect_column_mean_to_be_between\) cannot name the rows that break it, so no "
        r"row could be quarantined for it: use a column \(pair\) map expectation, or check it on a mart",
    ):
        load_suite("mean", tmp_path)
    typo = {"type": "expect_column_values_to_be_betwen", "kwargs": {"column": "v"}, "meta": {"reason_code": "X"}}
    write_suite(tmp_path, "typo", {"name": "typo", "meta": {"max_quarantine_ratio": 0.1}, "expectations": [typo]})
    with pytest.raises(SuiteError, match=r"unknown expectation type 'expect_column_values_to_be_betwen'"):
        load_suite("typo", tmp_path)


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


def test_gx_sees_only_the_columns_the_rules_read_and_every_column_when_unsure(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1], "b": [2], "c": [3], "d": [4]})

    def columns(*expectations: dict) -> list[str]:
        name = f"s{len(list(tmp_path.iterdir()))}"  # a new name each time: suites are loaded once per name
        write_suite(tmp_path, name, {"name": name, "meta": {"max_quarantine_ratio": 0.1}, "expectations": list(expectations)})
        return load_suite(name, tmp_path).rule_columns(frame)

    def rule(kind: str, **kwargs) -> dict:
        return {"type": kind, "kwargs": kwargs, "meta": {"reason_code": "R"}}

    assert columns(rule("expect_column_values_to_not_be_null", column="b")) == ["b"]
    pair = rule("expect_column_pair_values_a_to_be_greater_than_b", column_A="d", column_B="a")
    assert columns(pair, rule("expect_column_values_to_not_be_null", column="b")) == ["a", "b", "d"]
    conditioned = rule("expect_column_values_to_not_be_null", column="b", row_condition="c>0", condition_parser="pandas")
    assert columns(conditioned) == ["a", "b", "c", "d"]
    # a keyword that names columns but is not one RowRule.columns reads: GX gets every column rather than too few
    assert columns(rule("expect_column_values_to_not_be_null", column="b", other_columns=["c"])) == ["a", "b", "c", "d"]


def test_an_edited_suite_is_read_again_by_a_process_that_read_it_before(tmp_path: Path) -> None:
    import os

    rule = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "k"}, "meta": {"reason_code": "K_NULL"}}
    write_suite(tmp_path, "edited", {"meta": {"max_quarantine_ratio": 0.1}, "expectations": [rule]})
    before = load_suite("edited", tmp_path)
    assert load_suite("edited", tmp_path) is before  # unchanged: read once
    write_suite(
        tmp_path,
        "edited",
        {"meta": {"max_quarantine_ratio": 0.2}, "expectations": [rule, rule | {"meta": {"reason_code": "K2"}}]},
    )
    stat = (tmp_path / "edited.json").stat()
    os.utime(tmp_path / "edited.json", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # even within one clock tick
    after = load_suite("edited", tmp_path)
    assert (after.max_quarantine_ratio, [r.reason_code for r in after.row_rules]) == (0.2, ["K_NULL", "K2"])
    assert after.fingerprint != before.fingerprint  # what keys the work a suite has judged


def test_gx_does_not_hash_every_value_of_a_partition_to_fingerprint_it() -> None:
    frame = pd.DataFrame({"sensor_id": ["a", None], "speed_kmh": [1.0, 300.0], "volume_veh_h": None, "occupancy_pct": None})
    checked = load_suite("traffic_readings").check_rows(frame)
    assert checked.reason.tolist()[1] == "MISSING_SENSOR"
    assert list(checked.validation["meta"]["batch_markers"]) == ["ge_load_time"]  # no pandas_data_fingerprint


@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]", "string[python]", object])
def test_every_kind_of_text_column_is_judged_alike(tmp_path: Path, dtype) -> None:
    expectations = [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "s"}, "meta": {"reason_code": "MISSING"}},
        {
            "type": "expect_column_values_to_match_regex",
            "kwargs": {"column": "s", "regex": "^[A-Z]{2}$"},
            "meta": {"reason_code": "SHAPE"},
        },
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "s", "value_set": ["AB", "x"]},
            "meta": {"reason_code": "SET"},
        },
    ]
    write_suite(tmp_path, "text", {"name": "text", "meta": {"max_quarantine_ratio": 1}, "expectations": expectations})
    frame = pd.DataFrame({"s": pd.Series(["AB", None, "x", "CD"], dtype=dtype)})
    reason, _ = load_suite("text", tmp_path).first_failures(frame)
    assert reason.where(reason.notna(), None).tolist() == [None, "MISSING", "SHAPE", "SET"]
