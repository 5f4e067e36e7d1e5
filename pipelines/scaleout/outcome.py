"""What a node-loss scenario found: the lake after the loss compared with the lake after a healthy run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from pipelines.lake.catalog import Table
from pipelines.scaleout.jobs import Job


@dataclass
class Outcome:
    """One scenario's figures: what was taken away, what the lake holds after, and how long the repair took."""

    scenario: str
    outage: str
    rows: int
    rows_lost: int
    duplicates: int
    identical: bool
    recovery_seconds: float | None
    run_seconds: float
    baseline_seconds: float
    first_error: str | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def compared(
        cls,
        scenario: str,
        outage: str,
        job: Job,
        expected: dict[str, pd.DataFrame],
        found: dict[str, pd.DataFrame],
        seconds: tuple[float | None, float, float],
        first_error: str | None,
        notes: list[str],
    ) -> Outcome:
        """The outcome of a run of `job` whose output tables `found` are compared with a healthy run's, `expected`,
        each on its declared key and columns (but the job's run-specific ones). `seconds`: recovery, the run, the
        healthy run."""
        lost = duplicates = 0
        identical = True
        for table in job.outputs:
            table_lost, table_duplicates, same = compare(expected[table.name], found[table.name], table, job.run_specific)
            lost, duplicates, identical = lost + table_lost, duplicates + table_duplicates, identical and same
        recovery, run, healthy = seconds
        rows = sum(len(found[table.name]) for table in job.outputs)
        return cls(scenario, outage, rows, lost, duplicates, identical, recovery, run, healthy, first_error, notes)

    @property
    def rows_per_second(self) -> float:
        """The throughput of the run with the node lost: the rows it published per second."""
        return self.rows / self.run_seconds if self.run_seconds > 0 else 0.0

    @property
    def passed(self) -> bool:
        return (
            self.rows_lost == 0
            and self.duplicates == 0
            and self.identical
            and not any(n.startswith("PROBLEM") for n in self.notes)
        )


def compare(baseline: pd.DataFrame, found: pd.DataFrame, table: Table, run_specific: Sequence[str] = ()) -> tuple[int, int, bool]:
    """(rows of the baseline missing, duplicate rows, whether the tables are identical) of one output `table`: rows
    are matched on its declared key; identical compares its declared columns but the `run_specific` ones."""
    key = list(table.key)
    keys = found[key].drop_duplicates()
    missing = len(baseline[key].merge(keys, on=key, how="left", indicator=True).query("_merge == 'left_only'"))
    duplicates = len(found) - len(keys)
    columns = [c.name for c in table.columns if c.name not in run_specific]
    identical = len(found) == len(baseline) and baseline[columns].equals(found[columns])
    return missing, duplicates, identical


def table(outcomes: list[Outcome]) -> str:
    header = (
        f"{'scenario':<36} {'outage':<26} {'rows':>8} {'rows lost':>10} {'duplicates':>11} {'identical':>10} "
        f"{'recovery s':>11} {'run s':>7} {'rows/s':>8} {'healthy run s':>14}"
    )
    lines = [header, "-" * len(header)]
    for o in outcomes:
        recovery = "-" if o.recovery_seconds is None else f"{o.recovery_seconds:.1f}"
        lines.append(
            f"{o.scenario:<36} {o.outage:<26} {o.rows:>8} {o.rows_lost:>10} {o.duplicates:>11} "
            f"{'yes' if o.identical else 'NO':>10} "
            f"{recovery:>11} {o.run_seconds:>7.1f} {o.rows_per_second:>8.0f} {o.baseline_seconds:>14.1f}"
        )
    return "\n".join(lines)
