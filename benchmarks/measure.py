"""Shared by the benchmarks: peak memory of a process tree, sampled; progress logging without library chatter."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import psutil


class PeakMemory:
    """Peak RSS of a process (default: this one) and its children (Dask workers included), sampled every 50 ms."""

    def __init__(self, pid: int | None = None) -> None:
        self.pid = pid
        self.peak = 0
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
                    total += child.memory_info().rss
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
