"""One large file through the clean job: cut into pieces for every worker, or read in chunks on one worker.

    .venv/bin/python benchmarks/large_files.py [--quick]     # also part of `make bench` (--only large)

The SYNTHETIC traffic feed of feed_throughput.py is written as ONE CSV file, block by block (10^8 rows: about 3 GB
on disk), landed, and cleaned by the real clean job (`pipelines.flows.clean.clean`) on a LocalCluster of two
single-threaded workers (warmed first), with chunks of `chunk MiB`, in two ways:

- pieces: `split_large_files` on (the default). The file is cut into pieces that both workers standardize at
  once; their rows meet by key in the lake's spill, then each bucket is deduplicated and written.
- one worker: `split_large_files` off. The file is read chunk by chunk on one worker (the other waits).

The clean run alone is timed (landing -> raw is a copy), with the peak RSS of each worker; both ways must give the
same clean and quarantined rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

from feed_throughput import _warm, benchmark_feed, fit_linear, generate_one_file  # benchmarks/feed_throughput.py
from measure import Goal, PeakMemory, Section, progress_logging  # benchmarks/measure.py

FULL_SIZES = (10_000_000, 100_000_000)
QUICK_SIZES = (1_000_000,)
# A worker's memory follows the size of the piece it holds (at most a chunk; smaller when the file divides into
# equal rounds of pieces). 68 MiB chunks cut both full sizes (271 and 2,705 MiB) into pieces of the same 67.6 MiB,
# so that the peaks at 10^7 and 10^8 rows compare like with like.
FULL_CHUNK_MIB, QUICK_CHUNK_MIB = 68.0, 8.0
WORKERS = 2


def clean_once(path: Path, chunk_mib: float, split: bool) -> dict[str, float]:
    """Land the file in a new local lake and run the clean job on a fresh cluster: seconds, rows, worker peak."""
    import dask
    from distributed import Client, LocalCluster

    from pipelines.compute import cluster_config
    from pipelines.config import load_settings
    from pipelines.flows import clean as clean_flow
    from pipelines.flows.split import piece_bytes
    from pipelines.lake.storage import Lake
    from pipelines.validate.suite import load_suite

    feed = benchmark_feed()
    load_suite(feed.suite)  # the client's first use of GX (about 5 s of imports) is not the way's cost
    with tempfile.TemporaryDirectory(dir=path.parent) as folder:
        settings = load_settings(lake_uri=f"{folder}/lake", chunk_mib=chunk_mib, split_large_files=split)
        lake = Lake(settings)
        lake.ensure_exists()
        landing = Path(lake.layout.landing_dir(feed.name))
        landing.mkdir(parents=True, exist_ok=True)
        os.link(path, landing / path.name)  # delivered without a copy
        clean_flow.ingest(settings, feed, "bench", dt.datetime.now(dt.UTC))
        dask.config.set(cluster_config())
        with (
            LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            with path.open("rb") as handle:
                client.run(_warm, b"".join(handle.readline() for _ in range(1000)))
            pids = set(client.run(os.getpid).values())
            with PeakMemory() as memory:
                started = time.perf_counter()
                summary = clean_flow.clean(settings, feed, "bench", client)
                seconds = time.perf_counter() - started
    peaks = sorted((memory.peak_by_process.get(pid, 0) / 2**20 for pid in pids), reverse=True)
    return {
        "piece_mib": piece_bytes(path.stat().st_size, int(chunk_mib * 2**20), WORKERS) / 2**20 if split else chunk_mib,
        "seconds": seconds,
        "clean": summary.rows_clean,
        "quarantined": summary.rows_quarantined,
        "deduplicated": summary.rows_deduplicated,
        "busiest_peak_mib": peaks[0],
        "other_peak_mib": peaks[-1],
    }


def collect(quick: bool) -> list[Section]:
    """The large-file section of `make bench`."""
    sizes, chunk_mib = (QUICK_SIZES, QUICK_CHUNK_MIB) if quick else (FULL_SIZES, FULL_CHUNK_MIB)
    section = Section(
        "large",
        f"One large file through the clean job, 2 workers, chunks of {chunk_mib:.0f} MiB (SYNTHETIC traffic feed)",
        ["rows", "file MiB", "way", "piece or chunk MiB", "seconds", "rows/s", "busiest worker peak MiB", "other worker peak MiB", "clean rows",
         "quarantined"],
    )  # fmt: skip
    results: dict[tuple[int, bool], dict[str, float]] = {}
    with tempfile.TemporaryDirectory(dir=os.environ.get("CITYLAKE_BENCH_TMP")) as folder:
        for rows in sizes:
            path = Path(folder) / f"synthetic_speeds_{rows}.csv"
            print(f"large: writing {rows:,} rows as one file ...", flush=True)
            generate_one_file(path, rows)
            mib = path.stat().st_size / 2**20
            for split in (True, False):
                way = "pieces on both workers" if split else "chunks on one worker"
                print(f"large: {rows:,} rows ({mib:,.0f} MiB), {way} ...", flush=True)
                run = results[(rows, split)] = clean_once(path, chunk_mib, split)
                section.rows.append(
                    [rows, mib, way, run["piece_mib"], run["seconds"], rows / run["seconds"], run["busiest_peak_mib"], run["other_peak_mib"],
                     int(run["clean"]), int(run["quarantined"])]
                )  # fmt: skip
            path.unlink()
    same = all(
        (results[(r, True)]["clean"], results[(r, True)]["quarantined"], results[(r, True)]["deduplicated"])
        == (results[(r, False)]["clean"], results[(r, False)]["quarantined"], results[(r, False)]["deduplicated"])
        for r in sizes
    )
    largest = sizes[-1]
    speedup = results[(largest, False)]["seconds"] / results[(largest, True)]["seconds"]
    section.goals.append(
        Goal("the same clean, quarantined and deduplicated rows both ways", "every size", "yes" if same else "NO", same)
    )
    section.goals.append(
        Goal(f"one file of {largest:,} rows on 2 workers vs 1", ">= 1.5x faster", f"{speedup:.2f}x", speedup >= 1.5)
    )
    if len(sizes) > 1:
        ratio = results[(sizes[-1], True)]["busiest_peak_mib"] / results[(sizes[-2], True)]["busiest_peak_mib"]
        section.goals.append(
            Goal(f"peak memory per worker at {sizes[-1]:,} rows", f"<= 1.2x that at {sizes[-2]:,}", f"{ratio:.2f}x", ratio <= 1.2)
        )
        a, b = fit_linear(list(sizes), [results[(r, True)]["seconds"] for r in sizes])
        section.notes.append(
            f"Pieces on both workers: seconds = {a:.1f} + {b * 1e6:.2f} x (rows / 10^6), from {len(sizes)} sizes."
        )
    section.notes.append(
        f"Memory is bounded by the chunk, not the file: set by CITYLAKE_CHUNK_MIB ({chunk_mib:.0f} MiB here; 256 by default)."
    )
    return [section]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SIZES[0]:,} rows (else 10^7 and 10^8)")
    args = parser.parse_args()
    progress_logging()
    for section in collect(args.quick):
        print(section.markdown())


if __name__ == "__main__":
    main()
