"""The reliability suite's ledger of figures: each scenario records its runs, and the table is printed at the end.

A scenario runs several seeded repetitions, records each one (passed, rows lost, duplicate rows, time)
and asserts afterwards, so a failing run still shows in the table. `make reliability` runs this folder
alone with every repetition (CITYLAKE_RELIABILITY=full); `make test` (CI) runs it with everything else and
fewer repetitions of the slowest scenarios (`repetitions`). The figures are also written to
var/reliability/results.json.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import pytest

from pipelines.config import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "var" / "reliability" / "results.json"


def repetitions(full: int, quick: int) -> int:
    """How many seeded runs a scenario makes: `full` under `make reliability` (CITYLAKE_RELIABILITY=full), `quick`
    in `make test`, where CI has a time budget; the first `quick` runs are the same runs either way."""
    return full if os.environ.get("CITYLAKE_RELIABILITY") == "full" else quick


@dataclass
class Scenario:
    """The figures of one scenario over its runs."""

    name: str
    runs: int = 0
    passed: int = 0
    rows_lost: int = 0
    duplicate_rows: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def record(self, ok: bool, rows_lost: int = 0, duplicate_rows: int = 0, seconds: float = 0.0, why: str = "") -> None:
        """One run: it passed only if it lost and duplicated nothing."""
        ok = ok and rows_lost == 0 and duplicate_rows == 0
        self.runs += 1
        self.passed += ok
        self.rows_lost += rows_lost
        self.duplicate_rows += duplicate_rows
        self.seconds += seconds
        if not ok:
            self.failures.append(why or f"run {self.runs}: lost {rows_lost}, duplicated {duplicate_rows}")

    def assert_all_passed(self) -> None:
        assert self.runs > 0, f"{self.name}: no run recorded"
        assert (self.passed, self.rows_lost, self.duplicate_rows) == (self.runs, 0, 0), self.failures


_SCENARIOS: list[Scenario] = []


@pytest.fixture
def scenario(request: pytest.FixtureRequest) -> Iterator[Scenario]:
    """A scenario named after its test; its figures go into the table whatever the outcome."""
    record = Scenario(request.node.name.removeprefix("test_").replace("_", " "))
    started = time.monotonic()
    yield record
    if record.seconds == 0.0:
        record.seconds = time.monotonic() - started
    _SCENARIOS.append(record)


def table(scenarios: list[Scenario]) -> str:
    """The figures as a text table."""
    header = f"{'scenario':<58} {'runs':>5} {'passed':>7} {'rows lost':>10} {'duplicate rows':>15} {'time':>8}"
    lines = [header, "-" * len(header)]
    lines += [
        f"{s.name[:58]:<58} {s.runs:>5} {s.passed:>7} {s.rows_lost:>10} {s.duplicate_rows:>15} {s.seconds:>7.1f}s"
        for s in scenarios
    ]
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _SCENARIOS:
        return
    terminalreporter.section("reliability")
    terminalreporter.write_line(table(_SCENARIOS))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps([asdict(s) for s in _SCENARIOS], indent=2))
