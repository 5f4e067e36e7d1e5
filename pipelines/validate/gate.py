"""The quality gate: a batch is published only if every partition balances and stays under the threshold."""

from __future__ import annotations

from pipelines.lake.ledger import PartitionQuality
from pipelines.validate.suite import Suite


class QualityGateError(RuntimeError):
    """A batch failed its suite: nothing of it was published."""


def check_gate(partitions: list[PartitionQuality], suite: Suite) -> None:
    """Raise QualityGateError naming every partition that may not be published, and why."""
    problems = []
    for p in partitions:
        if not p.balanced:
            problems.append(
                f"{p.partition} ({p.source_file}): ledger does not balance: rows_in={p.rows_in} but clean={p.rows_clean}"
                f" + quarantined={p.rows_quarantined} + deduplicated={p.rows_deduplicated}"
            )
        if p.quarantine_ratio > suite.max_quarantine_ratio:
            reasons = ", ".join(f"{code}={n}" for code, n in p.quarantined_by_reason.items())
            problems.append(
                f"{p.partition} ({p.source_file}): {p.rows_quarantined} of {p.rows_in} rows quarantined"
                f" ({p.quarantine_ratio:.1%} > threshold {suite.max_quarantine_ratio:.1%} of suite {suite.name}): {reasons}"
            )
        if not p.gx_success:
            problems.append(
                f"{p.partition} ({p.source_file}): Great Expectations failed on clean rows: {'; '.join(p.gx_failures)}"
            )
    if problems:
        raise QualityGateError(
            f"quality gate failed for {len(problems)} problem(s) in dataset {partitions[0].dataset}; nothing was published:\n  "
            + "\n  ".join(problems)
        )
