"""Expectation suites kept as JSON in expectations/: Great Expectations decides which rows are valid.

Every expectation of a suite must name the rows that break it (a column map, column pair map or multicolumn
map expectation: between with strict bounds, not null, in set, regex, lengths, parseable dates, `mostly`, ...).
GX validates each partition's candidate rows with `result_format` COMPLETE, and the rows in each result's
`unexpected_index_list` are quarantined under the expectation's `meta.reason_code` (the first expectation a row
breaks, in suite order, names its reason). Uniqueness (`expect_column_values_to_be_unique`,
`expect_compound_columns_to_be_unique`) describes the published table: the feed's duplicates policy enforces it,
and GX checks it on the clean rows, with the dataset's declared column set, before the quality gate.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines.config import PROJECT_ROOT

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
TABLE_LEVEL_TYPES = {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}


class SuiteError(ValueError):
    """An expectation suite file is missing or malformed, or holds an expectation that cannot name rows."""


def _gx_quiet() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import logging

    logging.getLogger("great_expectations").setLevel(logging.ERROR)


@lru_cache(maxsize=64)
def _names_rows(expectation_type: str) -> bool:
    """Whether GX reports the failing rows of this expectation type (a map expectation); SuiteError if unknown."""
    _gx_quiet()
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )
    from great_expectations.expectations.registry import get_expectation_impl

    try:
        implementation = get_expectation_impl(expectation_type)
    except Exception:  # GX raises its own "not found" error types
        raise SuiteError(f"unknown expectation type {expectation_type!r}") from None
    return issubclass(implementation, (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation))


@dataclass(frozen=True)
class RowRule:
    """One row-level expectation and the reason code its failures are quarantined under."""

    expectation_type: str
    kwargs: dict[str, Any]
    reason_code: str

    @property
    def columns(self) -> list[str]:
        """The columns it reads."""
        kw = self.kwargs
        if "column" in kw:
            return [kw["column"]]
        if "column_A" in kw:
            return [kw["column_A"], kw["column_B"]]
        return list(kw.get("column_list", []))

    def describe(self, values: tuple[object, ...]) -> str:
        """A human-readable detail for one failing row (its values of the rule's columns)."""
        kind, kw = self.expectation_type.removeprefix("expect_"), self.kwargs
        if len(self.columns) != 1:
            shown = ", ".join(f"{c}={v!r}" for c, v in zip(self.columns, values))
            return f"{shown} fails {kind}"
        column, value = self.columns[0], values[0]
        if kind == "column_values_to_not_be_null":
            return f"{column} is missing"
        if kind == "column_values_to_be_between":
            low = "(" if kw.get("strict_min") else "["
            high = ")" if kw.get("strict_max") else "]"
            return f"{column}={value} outside {low}{kw.get('min_value')}, {kw.get('max_value')}{high}"
        if kind == "column_values_to_be_in_set":
            return f"{column}={value!r} not in the allowed set"
        if kind == "column_values_to_not_be_in_set":
            return f"{column}={value!r} is a forbidden value"
        if kind == "column_values_to_match_regex":
            return f"{column}={value!r} does not match {kw.get('regex')!r}"
        if kind == "column_values_to_not_match_regex":
            return f"{column}={value!r} matches the forbidden {kw.get('regex')!r}"
        if kind == "column_value_lengths_to_be_between":
            return f"{column}={value!r} has a length outside [{kw.get('min_value')}, {kw.get('max_value')}]"
        return f"{column}={value!r} fails {kind}"


KNOWN_COLUMN_KWARGS = frozenset({"column", "column_A", "column_B", "column_list"})


def _unread_column_kwargs(kwargs: dict[str, Any]) -> set[str]:
    """Keywords that look like they name columns but are not among those `RowRule.columns` reads."""
    return {k for k in kwargs if "column" in k.lower() and k not in KNOWN_COLUMN_KWARGS}


@dataclass(frozen=True)
class Suite:
    """A suite as stored: its GX JSON, its row rules, its table checks, and its publishing threshold."""

    name: str
    document: dict[str, Any]
    max_quarantine_ratio: float
    fingerprint: str

    @property
    def row_rules(self) -> list[RowRule]:
        """The row-level expectations, in suite order (the first one a row breaks names its reason)."""
        rules = []
        for index, expectation in enumerate(self.document["expectations"]):
            kind = expectation["type"]
            if kind in TABLE_LEVEL_TYPES:
                continue
            if not _names_rows(kind):
                raise SuiteError(
                    f"suite {self.name}: expectation #{index} ({kind}) cannot name the rows that break it, so no row could "
                    "be quarantined for it: use a column (pair) map expectation, or check it on a mart"
                )
            reason = (expectation.get("meta") or {}).get("reason_code")
            if not reason:
                raise SuiteError(f"suite {self.name}: expectation #{index} ({kind}) has no meta.reason_code")
            rules.append(RowRule(kind, dict(expectation["kwargs"]), reason))
        return rules

    def rule_columns(self, frame: pd.DataFrame) -> list[str]:
        """The frame's columns GX must see: those the row rules read; all of them when a rule has a row_condition or
        names columns under a keyword other than column, column_A/column_B and column_list (never too few)."""
        rules = self.row_rules
        if any("row_condition" in r.kwargs or not r.columns or _unread_column_kwargs(r.kwargs) for r in rules):
            return list(frame.columns)
        read = {c for r in rules for c in r.columns}
        return [c for c in frame.columns if c in read]

    @property
    def table_checks(self) -> list[dict[str, Any]]:
        """The expectations that describe the published table (uniqueness), checked on the clean rows."""
        return [e for e in self.document["expectations"] if e["type"] in TABLE_LEVEL_TYPES]

    def first_failures(self, frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        """Per row: the reason code and detail of the first expectation GX says it breaks (None where it passes all)."""
        checked = self.check_rows(frame)
        return checked.reason, checked.detail

    def check_rows(self, frame: pd.DataFrame) -> RowCheck:
        """GX's verdict on every row: reason and detail per row, and the validation result to keep (Data Docs)."""
        reason = pd.Series(None, index=frame.index, dtype="object")
        detail = pd.Series(None, index=frame.index, dtype="object")
        rules = self.row_rules
        if frame.empty or not rules:
            return RowCheck(reason, detail, None)
        validation = _gx_validate(
            _plain(frame[self.rule_columns(frame)]).reset_index(drop=True),
            [{"type": r.expectation_type, "kwargs": r.kwargs, "meta": {"reason_code": r.reason_code}} for r in rules],
            "COMPLETE",
            self.name,
        )
        for rule, result in zip(rules, validation.results):
            positions = np.asarray(result.result.get("unexpected_index_list") or [], dtype=np.int64)
            if not len(positions):
                continue
            bad = np.zeros(len(frame), dtype=bool)
            bad[positions] = True
            bad &= reason.isna().to_numpy()
            if bad.any():
                reason[bad] = rule.reason_code
                rows = frame.loc[bad, rule.columns].itertuples(index=False, name=None)
                detail[bad] = [rule.describe(values) for values in rows]
        return RowCheck(reason, detail, kept_result(validation))


@dataclass(frozen=True)
class RowCheck:
    """Per row the first reason it fails (None: valid) with its detail, and GX's result as JSON (None: nothing run)."""

    reason: pd.Series
    detail: pd.Series
    validation: dict[str, Any] | None


BULKY = ("unexpected_index_list", "unexpected_list", "unexpected_index_query")


def kept_result(validation: Any) -> dict[str, Any]:
    """A GX validation result as JSON to keep: counts and partial samples, not every failing row's index."""
    document: dict[str, Any] = validation.to_json_dict()
    for result in document["results"]:
        for bulky in BULKY:
            (result.get("result") or {}).pop(bulky, None)
    return document


def expectations_dir() -> Path:
    """Where the suites are: CITYLAKE_EXPECTATIONS_DIR, else the project's `expectations/`."""
    return Path(os.environ.get("CITYLAKE_EXPECTATIONS_DIR") or EXPECTATIONS_DIR)


def load_suite(name: str, directory: Path | None = None) -> Suite:
    """Read `<expectations>/<name>.json` and check it has what the pipeline relies on. A process (a Dask worker that
    lives for days) reads it again once the file changed: an edited suite is never judged by its old rules."""
    path = Path(directory or expectations_dir()) / f"{name}.json"
    try:
        stat = path.stat()
        return _load_suite(name, str(path), stat.st_mtime_ns, stat.st_size)
    except FileNotFoundError as exc:  # absent, or removed between the two looks
        raise SuiteError(f"no expectation suite {name!r}: {path} does not exist") from exc


@lru_cache(maxsize=32)
def _load_suite(name: str, file: str, modified_ns: int, size: int) -> Suite:
    """The suite in `file` as it was when it had this modification time and size (the cache's key)."""
    path = Path(file)
    text = path.read_text(encoding="utf-8")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(document.get("expectations"), list):
        raise SuiteError(f"{path}: key 'expectations' must be a list")
    ratio = (document.get("meta") or {}).get("max_quarantine_ratio")
    if not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1:
        raise SuiteError(f"{path}: meta.max_quarantine_ratio must be a number between 0 and 1")
    suite = Suite(name, document, float(ratio), hashlib.sha256(text.encode()).hexdigest())
    _ = suite.row_rules  # fail early on an expectation that cannot name rows, or has no reason code
    return suite


@lru_cache(maxsize=1)
def _gx_batch_definition() -> Any:
    """One ephemeral GX context per process: the ~3 s import and set-up are paid once per worker."""
    _gx_quiet()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every in-memory batch under 1 GB by hashing every value (a batch marker, never read here):
    # on a partition of a million rows that was 40 % of the validation's time. No setting turns it off but this one.
    pandas_execution_engine.HASH_THRESHOLD = 0

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("citylake").add_dataframe_asset("partition")
    return asset.add_batch_definition_whole_dataframe("whole")


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """GX compares with Python scalars: strings whose missing value is pd.NA (its truth is ambiguous) become
    objects with None. pandas' own `str` (missing is NaN) GX reads as it is, at Arrow's speed."""
    plain = frame.copy()
    for column in plain.columns:
        dtype = plain[column].dtype
        if isinstance(dtype, pd.StringDtype) and dtype.na_value is pd.NA:
            plain[column] = plain[column].astype(object).where(plain[column].notna(), None)
    return plain


def _gx_validate(frame: pd.DataFrame, expectations: list[dict[str, Any]], result_format: str, name: str = "citylake") -> Any:
    """GX's validation of the frame (its `.results` in the order of `expectations`)."""
    from great_expectations.core import ExpectationSuite

    gx_suite = ExpectationSuite(name=name, expectations=json.loads(json.dumps(expectations)))
    batch = _gx_batch_definition().get_batch(batch_parameters={"dataframe": frame})
    return batch.validate(gx_suite, result_format={"result_format": result_format})


@dataclass(frozen=True)
class GxOutcome:
    """The result of one GX validation of one partition's clean rows."""

    success: bool
    evaluated: int
    failed: list[str]


def validate_with_gx(frame: pd.DataFrame, suite: Suite, columns: Sequence[str]) -> GxOutcome:
    """Check the clean rows as the table will hold them: the dataset's declared columns and the suite's uniqueness.

    `columns` come from the lake catalog, so a suite never repeats the declaration. The row rules are not run
    again: GX already decided every row (`Suite.first_failures`).
    """
    expectations = [
        {"type": "expect_table_columns_to_match_set", "kwargs": {"column_set": list(columns), "exact_match": True}},
        *suite.table_checks,
    ]
    results = _gx_validate(_plain(frame), [{"type": e["type"], "kwargs": e["kwargs"]} for e in expectations], "SUMMARY").results
    failed = [
        f"{r.expectation_config.type}({r.expectation_config.kwargs.get('column') or r.expectation_config.kwargs.get('column_list')}):"
        f" {r.result.get('unexpected_count', r.result.get('observed_value'))}"
        for r in results
        if not r.success
    ]
    return GxOutcome(not failed, len(results), failed)
