"""The quality gate: a batch is published only if every partition balances and stays under the threshold."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.validate.suite import Suite


class QualityGateError(RuntimeError):
    """A batch failed its suite: nothing of it was published."""


@dataclass(frozen=True)
class PartitionQuality:
    """The ledger entry of one partition: rows_in = clean + quarantined + deduplicated."""

    dataset: str
    partition: str
    source_file: str
    source_sha256: str
    rows_in: int
    rows_clean: int
    rows_quarantined: int
    rows_deduplicated: int
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    gaps: int = 0
    processing_key: str = ""  # hash of (input version, suite, code): equal keys mean equal output
    gx_success: bool = True
    gx_failures: tuple[str, ...] = ()

    @property
    def balanced(self) -> bool:
        """Whether every row in is accounted for."""
        return self.rows_in == self.rows_clean + self.rows_quarantined + self.rows_deduplicated

    @property
    def quarantine_ratio(self) -> float:
        """The share of rows quarantined (0 for an empty partition)."""
        return self.rows_quarantined / self.rows_in if self.rows_in else 0.0


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
            problems.append(f"{p.partition} ({p.source_file}): Great Expectations failed on clean rows: {'; '.join(p.gx_failures)}")
    if problems:
        raise QualityGateError(
            f"quality gate failed for {len(problems)} problem(s) in dataset {partitions[0].dataset}; nothing was published:\n  "
            + "\n  ".join(problems)
        )
