"""Shared by the benchmarks: peak memory of a process tree, sampled; progress logging; the sections and goals of `make bench`."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import asdict, dataclass, field

import psutil


class PeakMemory:
    """Peak RSS of a process (default: this one) and its children (Dask workers included), sampled every 50 ms."""

    def __init__(self, pid: int | None = None) -> None:
        self.pid = pid
        self.peak = 0
        self.peak_by_process: dict[int, int] = {}  # each process's own peak RSS (a worker's, say)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process(self.pid)
        while not self._stop.is_set():
            try:
                total = me.memory_info().rss
            except psutil.Error:  # the process ended
                return
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):  # a worker that just exited
                    rss = child.memory_info().rss
                    total += rss
                    self.peak_by_process[child.pid] = max(self.peak_by_process.get(child.pid, 0), rss)
            self.peak = max(self.peak, total)
            time.sleep(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def progress_logging() -> None:
    """Timestamped progress lines from the benchmark and the pipeline's jobs; Dask's and the lake's chatter quieted."""
    import distributed  # noqa: F401  (configures its loggers on import: quieten them after)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("distributed", "pipelines.lake", "pipelines.flows"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@dataclass
class Goal:
    """One performance goal: what it asks, what was measured, met or not (None: not measured at this size)."""

    name: str
    target: str
    measured: str
    met: bool | None


@dataclass
class Section:
    """One part of `make bench`: its table (column names, rows of values) and its goals."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[object]] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return asdict(self)

    def markdown(self) -> str:
        def cell(value: object) -> str:
            if isinstance(value, float):
                return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
            if isinstance(value, int) and not isinstance(value, bool):
                return f"{value:,}"
            return str(value)

        lines = [f"### {self.title}", "", "| " + " | ".join(self.columns) + " |", "|" + "---|" * len(self.columns)]
        lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in self.rows]
        if self.goals:
            lines += ["", "| goal | target | measured | met |", "|---|---|---|---|"]
            verdict = {True: "yes", False: "**no**", None: "not measured"}
            lines += [f"| {g.name} | {g.target} | {g.measured} | {verdict[g.met]} |" for g in self.goals]
        lines += ["", *self.notes] if self.notes else []
        return "\n".join(lines) + "\n"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation, as numpy computes it."""
    import numpy as np

    return float(np.percentile(values, q))
