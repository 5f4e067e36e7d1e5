"""What a node-loss scenario found: the lake after the loss compared with the lake after a healthy run."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

CLEAN = "air_quality_hourly"
KEY = ["station", "ts_utc"]


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
        expected: pd.DataFrame,
        found: pd.DataFrame,
        recovery_seconds: float | None,
        run_seconds: float,
        baseline_seconds: float,
        first_error: str | None,
        notes: list[str],
    ) -> Outcome:
        """The outcome of a run whose clean table `found` is compared with the whole cluster's, `expected`."""
        lost, duplicates, identical = compare(expected, found)
        return cls(
            scenario,
            outage,
            len(found),
            lost,
            duplicates,
            identical,
            recovery_seconds,
            run_seconds,
            baseline_seconds,
            first_error,
            notes,
        )

    @property
    def passed(self) -> bool:
        return (
            self.rows_lost == 0
            and self.duplicates == 0
            and self.identical
            and not any(n.startswith("PROBLEM") for n in self.notes)
        )


def compare(baseline: pd.DataFrame, found: pd.DataFrame) -> tuple[int, int, bool]:
    """(rows of the baseline missing, duplicate rows, whether the tables are identical), on the clean table's key."""
    keys = found[KEY].drop_duplicates()
    missing = len(baseline[KEY].merge(keys, on=KEY, how="left", indicator=True).query("_merge == 'left_only'"))
    duplicates = len(found) - len(keys)
    columns = [c for c in baseline.columns if c not in ("_run_id", "_ingested_at", "_source_file")]
    identical = len(found) == len(baseline) and baseline[columns].equals(found[columns])
    return missing, duplicates, identical


def table(outcomes: list[Outcome]) -> str:
    header = f"{'scenario':<30} {'outage':<26} {'rows':>8} {'rows lost':>10} {'duplicates':>11} {'identical':>10} {'recovery s':>11} {'run s':>7} {'healthy run s':>14}"
    lines = [header, "-" * len(header)]
    for o in outcomes:
        recovery = "-" if o.recovery_seconds is None else f"{o.recovery_seconds:.1f}"
        lines.append(
            f"{o.scenario:<30} {o.outage:<26} {o.rows:>8} {o.rows_lost:>10} {o.duplicates:>11} {'yes' if o.identical else 'NO':>10} {recovery:>11} {o.run_seconds:>7.1f} {o.baseline_seconds:>14.1f}"
        )
    return "\n".join(lines)
