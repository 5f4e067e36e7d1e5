"""Expectation suites kept as JSON in expectations/, and the row-level rules derived from them.

GX reports only a sample of failing rows, so the row-level quarantine is computed here from the
same expectations (same semantics: nulls pass `be_between`/`be_in_set`), and GX then validates the
clean rows to prove both agree.
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

import pandas as pd

from pipelines.config import PROJECT_ROOT

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"

ROW_LEVEL_TYPES = {
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_between",
    "expect_column_values_to_be_in_set",
}


class SuiteError(ValueError):
    """An expectation suite file is missing or malformed."""


@dataclass(frozen=True)
class RowRule:
    """One row-level expectation and the reason code its failures are quarantined under."""

    expectation_type: str
    column: str
    kwargs: dict[str, Any]
    reason_code: str

    def failing(self, frame: pd.DataFrame) -> pd.Series:
        """A boolean mask of the rows that break this rule."""
        values = frame[self.column]
        if self.expectation_type == "expect_column_values_to_not_be_null":
            return values.isna()
        present = values.notna()
        if self.expectation_type == "expect_column_values_to_be_between":
            bad = pd.Series(False, index=frame.index)
            low, high = self.kwargs.get("min_value"), self.kwargs.get("max_value")
            if low is not None:
                bad |= present & (values < low)
            if high is not None:
                bad |= present & (values > high)
            return bad
        if self.expectation_type == "expect_column_values_to_be_in_set":
            return present & ~values.isin(list(self.kwargs["value_set"]))
        raise SuiteError(f"{self.expectation_type} is not a row-level expectation")

    def describe(self, value: object) -> str:
        """A human-readable detail for one failing value."""
        if self.expectation_type == "expect_column_values_to_not_be_null":
            return f"{self.column} is missing"
        if self.expectation_type == "expect_column_values_to_be_between":
            return f"{self.column}={value} outside [{self.kwargs.get('min_value')}, {self.kwargs.get('max_value')}]"
        return f"{self.column}={value!r} not in the allowed set"


@dataclass(frozen=True)
class Suite:
    """A suite as stored: its GX JSON, its row rules, and its publishing threshold."""

    name: str
    document: dict[str, Any]
    max_quarantine_ratio: float
    fingerprint: str

    @property
    def row_rules(self) -> list[RowRule]:
        """The row-level rules, in suite order (the first one a row breaks names its reason)."""
        rules = []
        for index, expectation in enumerate(self.document["expectations"]):
            if expectation["type"] not in ROW_LEVEL_TYPES:
                continue
            reason = (expectation.get("meta") or {}).get("reason_code")
            if not reason:
                raise SuiteError(f"suite {self.name}: expectation #{index} ({expectation['type']}) has no meta.reason_code")
            rules.append(RowRule(expectation["type"], expectation["kwargs"]["column"], expectation["kwargs"], reason))
        return rules

    def first_failures(self, frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        """Per row: the reason code and detail of the first rule it breaks (None where it passes all)."""
        reason = pd.Series(None, index=frame.index, dtype="object")
        detail = pd.Series(None, index=frame.index, dtype="object")
        for rule in self.row_rules:
            bad = rule.failing(frame) & reason.isna()
            if bad.any():
                reason[bad] = rule.reason_code
                detail[bad] = [rule.describe(v) for v in frame.loc[bad, rule.column]]
        return reason, detail


def expectations_dir() -> Path:
    """Where the suites are: CITYLAKE_EXPECTATIONS_DIR, else the project's `expectations/`."""
    return Path(os.environ.get("CITYLAKE_EXPECTATIONS_DIR") or EXPECTATIONS_DIR)


def load_suite(name: str, directory: Path | None = None) -> Suite:
    """Read `<expectations>/<name>.json` and check it has what the pipeline relies on."""
    return _load_suite(name, str(directory or expectations_dir()))


@lru_cache(maxsize=32)
def _load_suite(name: str, directory: str) -> Suite:
    path = Path(directory) / f"{name}.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SuiteError(f"no expectation suite {name!r}: {path} does not exist") from exc
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
    _ = suite.row_rules  # fail early on a rule without a reason code
    return suite


@lru_cache(maxsize=1)
def _gx_batch_definition() -> Any:
    """One ephemeral GX context per process: the ~3 s import and set-up are paid once per worker."""
    import logging

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("citylake").add_dataframe_asset("partition")
    return asset.add_batch_definition_whole_dataframe("whole")


@dataclass(frozen=True)
class GxOutcome:
    """The result of one GX validation of one partition."""

    success: bool
    evaluated: int
    failed: list[str]


def validate_with_gx(frame: pd.DataFrame, suite: Suite, columns: Sequence[str]) -> GxOutcome:
    """Validate a frame with the suite through Great Expectations (run on the Dask workers).

    `columns` are the dataset's declared columns (the lake catalog): GX checks the frame has exactly them, so a
    suite never repeats the declaration and a column added to the declaration needs no suite edit.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    from great_expectations.core import ExpectationSuite

    document = json.loads(json.dumps(suite.document))
    document["expectations"] = [
        {"type": "expect_table_columns_to_match_set", "kwargs": {"column_set": list(columns), "exact_match": True}},
        *document["expectations"],
    ]
    gx_suite = ExpectationSuite(**document)
    # GX compares with Python scalars; hand it plain numpy-backed columns, not Arrow-backed strings.
    plain = frame.copy()
    for column in plain.columns:
        if isinstance(plain[column].dtype, pd.StringDtype) or plain[column].dtype == "str":
            plain[column] = plain[column].astype(object).where(plain[column].notna(), None)
    result = _gx_batch_definition().get_batch(batch_parameters={"dataframe": plain}).validate(gx_suite)
    failed = [
        f"{r.expectation_config.type}({r.expectation_config.kwargs.get('column') or r.expectation_config.kwargs.get('column_list')}):"
        f" {r.result.get('unexpected_count', r.result.get('observed_value'))}"
        for r in result.results
        if not r.success
    ]
    return GxOutcome(bool(result.success), len(result.results), failed)
