"""Great Expectations Data Docs of each run's validations, and the JSON results they render. Pure.

Every clean run keeps, per delivered file (per chunk of a large one), GX's validation result of the rows and the
Data Docs page GX renders from it, under `_meta/validations/<dataset>/<run_id>/`, with an index page that the
lake page links to: what an on-call engineer opens when a gate fails.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def data_docs_page(document: dict[str, Any]) -> str:
    """GX's own Data Docs page of one validation result (kept as JSON by `Suite.check_rows`)."""
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    result = ExpectationSuiteValidationResultSchema().load(json.loads(json.dumps(document)))
    return str(DefaultJinjaPageView().render(ValidationResultsPageRenderer().render(result)))


@dataclass(frozen=True)
class ValidationEntry:
    """One validated file (or chunk): its page, and what GX found."""

    page: str  # file name of its Data Docs page, beside the index
    source_file: str
    success: bool
    rows: int
    failing: dict[str, int]  # reason code -> rows that broke that expectation


def summary(document: dict[str, Any], page: str, source_file: str) -> ValidationEntry:
    """The index line of one validation result."""
    failing: dict[str, int] = {}
    rows = 0
    for result in document.get("results", []):
        counts = result.get("result") or {}
        rows = max(rows, int(counts.get("element_count") or 0))
        unexpected = int(counts.get("unexpected_count") or 0)
        if unexpected:
            code = (result.get("expectation_config", {}).get("meta") or {}).get("reason_code", "?")
            failing[code] = failing.get(code, 0) + unexpected
    return ValidationEntry(page, source_file, bool(document.get("success")), rows, failing)


def index_page(dataset: str, run_id: str, suite: str, entries: Sequence[ValidationEntry]) -> str:
    """The run's index: one line per validated file, linking to GX's page of it."""
    esc = html.escape
    lines = "".join(
        f"<tr><td><a href='{esc(e.page)}'>{esc(e.source_file)}</a></td><td>{'passed' if e.success else 'failed'}</td>"
        f"<td class='num'>{e.rows:,}</td><td>{esc(', '.join(f'{c}: {n:,}' for c, n in e.failing.items()) or '-')}</td></tr>"
        for e in entries
    )
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{esc(dataset)}: validations of {esc(run_id)}</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.3em .8em;border-bottom:1px solid #ddd}}.num{{text-align:right}}</style>
</head><body><h1>{esc(dataset)}: Great Expectations validations</h1><p>run {esc(run_id)}, suite <code>{esc(suite)}</code>.
Each file's page is GX's Data Docs of its rows; a row that broke an expectation is in
<code>quarantine/{esc(dataset)}</code> under the expectation's reason code.</p>
<table><tr><th>file</th><th>expectations</th><th>rows</th><th>rows breaking each expectation</th></tr>{lines}</table></body></html>"""
