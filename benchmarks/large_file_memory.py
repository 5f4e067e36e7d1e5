"""Peak memory of standardizing ONE large file: read whole vs in chunks (CITYLAKE_CHUNK_MIB).

    .venv/bin/python benchmarks/large_file_memory.py --rows 2000000 8000000

Each measurement runs in a fresh process whose RSS is sampled every 50 ms; the data is the SYNTHETIC traffic feed of
feed_throughput.py, written as a single CSV file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent


def measure(path: Path, chunk_mib: float) -> dict[str, float]:
    """Standardize `path` through the clean flow's staging in a child process; its peak RSS and time."""
    code = f"""
import datetime as dt, json, resource, sys, time
sys.path.insert(0, {str(HERE)!r})
import feed_throughput as ft
from pipelines.config import load_settings
from pipelines.flows.clean import _stage_in_chunks, _stage_whole
from pipelines.lake.ingest import RawFile
path = {str(path)!r}
settings = load_settings(lake_uri={str(path.parent / "lake")!r}, chunk_mib={chunk_mib})
raw = RawFile("bench_speeds", "speeds.csv", "0" * 64, {path.stat().st_size}, None, path, path, dt.datetime.now(dt.UTC).isoformat(), "b")
start = time.perf_counter()
feed = ft.benchmark_feed()
chunk = int(settings.chunk_mib * 2**20)
outcome = _stage_in_chunks(raw, feed, settings, "b", chunk) if {path.stat().st_size} > chunk else _stage_whole(raw, feed, settings, "b")
print(json.dumps({{"seconds": time.perf_counter() - start, "clean": outcome.rows_clean}}))
"""
    # the child's RSS is sampled from here: its own ru_maxrss would include this process's pages from the fork
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak = 0
    handle = psutil.Process(child.pid)
    while child.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, handle.memory_info().rss)
        time.sleep(0.05)
    out = child.stdout.read() if child.stdout else ""
    if child.returncode != 0:
        raise RuntimeError(f"measurement failed (exit {child.returncode})")
    return {**json.loads(out.strip().splitlines()[-1]), "peak_mib": peak / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[2_000_000])
    parser.add_argument("--chunk-mib", type=float, default=16)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import feed_throughput as ft

    print(f"{'rows':>11} {'file MiB':>9} {'mode':<22} {'seconds':>8} {'peak MiB':>9} {'clean rows':>11}")
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            original = ft.GROUPS
            ft.GROUPS = 1  # one single file
            path = ft.generate(Path(tmp), rows)[0]
            ft.GROUPS = original
            size = path.stat().st_size / 2**20
            for mode, chunk_mib in (("whole", 1e6), (f"chunks of {args.chunk_mib:g} MiB", args.chunk_mib)):
                result = measure(path, chunk_mib)
                print(
                    f"{rows:>11,} {size:>9,.0f} {mode:<22} {result['seconds']:>8.1f} {result['peak_mib']:>9,.0f} {result['clean']:>11,}",
                    flush=True,
                )
            time.sleep(0.1)


if __name__ == "__main__":
    main()
