"""Shared by the benchmarks: peak memory of a process tree, sampled."""

from __future__ import annotations

import contextlib
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
