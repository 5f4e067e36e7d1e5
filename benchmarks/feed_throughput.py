"""Ingest + validate + standardize throughput: CityLake on Dask vs a plain pandas script vs DuckDB.

Generates a SYNTHETIC traffic feed (sensor, local time, speed in mph; ~0.5 % bad rows: non-numeric,
impossible speeds, invalid times, exact duplicates), then does the same work three ways, from the CSV
to Parquet: parse, type checks, range check, mph -> km/h, local time -> UTC, dedup on (sensor, time),
quarantine what fails. Prints rows/s and peak memory (RSS of the whole process tree) per engine, the
ratio CityLake / DuckDB, and where CityLake's time goes.

    .venv/bin/python benchmarks/feed_throughput.py [--quick]

The files are laid out as the lake lays them out: one file per sensor group (the dedup key's partition),
so each group is deduplicated on its own worker with no global shuffle.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import psutil
from measure import Goal, PeakMemory, Section  # benchmarks/measure.py

if TYPE_CHECKING:
    from distributed import Client

SENSORS = 2000
GROUPS = 8
REPEATS = 3  # this machine's timings vary by tens of percent from run to run: every figure is a median of three


def synthetic_readings(rows: int, seed: int = 7, first: int = 0):
    """SYNTHETIC readings number `first` to `first + rows` (about 0.5 % bad, some delivered twice), as a frame."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    index = np.arange(first, first + rows)
    sensor = index % SENSORS  # every sensor reports every 5 minutes: (sensor, time) is unique
    # from April: no daylight-saving change in the span (10^8 rows end in September), so every engine can place
    # every local time
    stamp = pd.Timestamp("2024-04-01") + pd.to_timedelta(index // SENSORS * 5, unit="min")
    speed = np.round(rng.normal(55, 12, rows).clip(0, 90), 2).astype(str)
    frame = pd.DataFrame(
        {"sensor": "S" + sensor.astype(str), "reported_at": stamp.strftime("%Y-%m-%d %H:%M"), "speed_mph": speed}
    )
    bad = rng.random(rows)
    frame.loc[bad < 0.002, "speed_mph"] = "n/a?"
    frame.loc[(bad >= 0.002) & (bad < 0.003), "speed_mph"] = "400"
    frame.loc[(bad >= 0.003) & (bad < 0.004), "reported_at"] = "2024-02-30 10:00"
    dupes = frame[(bad >= 0.004) & (bad < 0.005)]  # delivered twice, unchanged
    return pd.concat([frame, dupes], ignore_index=True)


def generate(directory: Path, rows: int, seed: int = 7) -> list[Path]:
    """SYNTHETIC readings split into GROUPS files by sensor; returns the paths."""
    frame = synthetic_readings(rows, seed)
    group = frame["sensor"].str[1:].astype(int) % GROUPS
    paths = []
    for g in range(GROUPS):
        path = directory / f"synthetic_speeds_{g}.csv"
        frame[group == g].to_csv(path, index=False)
        paths.append(path)
    return paths


def generate_one_file(path: Path, rows: int, block: int = 1_000_000) -> Path:
    """The same SYNTHETIC readings as ONE file, written block by block (10^8 rows: about 3 GB, in bounded memory)."""
    with path.open("w") as out:
        for number, first in enumerate(range(0, rows, block)):
            synthetic_readings(min(block, rows - first), seed=7 + number, first=first).to_csv(
                out, index=False, header=number == 0
            )
    return path


def run_pandas(paths: list[Path], out: Path) -> int:
    """The plain pandas script a data engineer would write."""
    import pandas as pd

    frame = pd.concat([pd.read_csv(p, dtype=str) for p in paths], ignore_index=True)
    speed = pd.to_numeric(frame["speed_mph"], errors="coerce")
    local = pd.to_datetime(frame["reported_at"], format="%Y-%m-%d %H:%M", errors="coerce")
    ok = speed.notna() & local.notna() & speed.between(0, 200 / 1.609344)
    clean = pd.DataFrame(
        {
            "sensor_id": frame["sensor"][ok],
            "ts_utc": local[ok].dt.tz_localize("America/Los_Angeles", ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC"),
            "speed_kmh": speed[ok] * 1.609344,
        }
    ).drop_duplicates()
    clean.to_parquet(out / "pandas.parquet")
    frame[~ok].to_parquet(out / "pandas_rejects.parquet")
    return len(clean)


def run_duckdb(paths: list[Path], out: Path) -> int:
    """The same work in DuckDB SQL (2 threads)."""
    import duckdb

    con = duckdb.connect(config={"threads": 2})
    con.execute("SET TimeZone = 'UTC'")
    files = ", ".join(f"'{p}'" for p in paths)
    con.execute(
        f"""CREATE TEMP VIEW typed AS SELECT sensor AS sensor_id, reported_at, speed_mph,
               TRY_CAST(speed_mph AS DOUBLE) AS speed, TRY_STRPTIME(reported_at, '%Y-%m-%d %H:%M') AS local_ts
            FROM read_csv([{files}], all_varchar = true, header = true)"""
    )
    con.execute(
        f"""COPY (SELECT DISTINCT sensor_id, timezone('America/Los_Angeles', local_ts) AS ts_utc, speed * 1.609344 AS speed_kmh
                  FROM typed WHERE speed IS NOT NULL AND local_ts IS NOT NULL AND speed BETWEEN 0 AND {200 / 1.609344})
            TO '{out / "duckdb.parquet"}' (FORMAT parquet)"""
    )
    con.execute(
        f"""COPY (SELECT * FROM typed WHERE speed IS NULL OR local_ts IS NULL OR speed NOT BETWEEN 0 AND {200 / 1.609344})
            TO '{out / "duckdb_rejects.parquet"}' (FORMAT parquet)"""
    )
    return con.sql(f"SELECT count(*) FROM '{out / 'duckdb.parquet'}'").fetchone()[0]


def benchmark_feed():
    """The feed YAML CityLake runs the synthetic files with (as a data engineer would write it)."""
    from pipelines.sources.spec import parse_feed

    return parse_feed(
        {
            "name": "bench_speeds",
            "department": "traffic",
            "description": "SYNTHETIC benchmark feed",
            "origin": "benchmarks/feed_throughput.py",
            "dataset": "traffic_readings",
            "suite": "traffic_readings",
            "landing_pattern": "*.csv",
            "format": {"type": "csv"},
            "encoding": "utf-8",
            "time": {"column": "reported_at", "format": "%Y-%m-%d %H:%M", "timezone": "America/Los_Angeles"},
            "columns": {"sensor_id": {"source": "sensor"}, "speed_kmh": {"source": "speed_mph", "unit": "mph"}},
        },
        "benchmark",
    )


def _stage(path: str, out: str, split: bool = False) -> tuple[int, int, dict[str, float]]:
    """One file on a worker: the engine's stages, timed; (clean rows, quarantined rows, seconds per stage)."""
    import pyarrow.parquet as pq

    from pipelines.lake.catalog import clean_dataset
    from pipelines.sources import readers
    from pipelines.sources.standardize import FeedContext, required_source_columns, standardize
    from pipelines.validate.suite import load_suite

    feed, suite = benchmark_feed(), load_suite("traffic_readings")
    times: dict[str, float] = {}
    start = time.perf_counter()
    content = Path(path).read_bytes()
    times["read"] = time.perf_counter() - start
    start = time.perf_counter()
    result = standardize(content, feed, suite, FeedContext(Path(path).name, dt.datetime.now(dt.UTC)))
    times["standardize"] = time.perf_counter() - start
    start = time.perf_counter()
    pq.write_table(clean_dataset("traffic_readings").conform(result.clean), f"{out}/{Path(path).stem}.parquet")
    times["write"] = time.perf_counter() - start
    if split:  # parse alone once more, to split 'standardize' into parse and the rest (not in the timed run)
        start = time.perf_counter()
        readers.read_records(content, feed, required_source_columns(feed))
        times["of which parse"] = time.perf_counter() - start
    return len(result.clean), len(result.rejects), times


def _warm(sample: bytes) -> int:
    """What a long-running worker has paid once before any file: imports, the suite, GX's context."""
    from pipelines.sources.standardize import FeedContext, standardize
    from pipelines.validate.suite import load_suite

    return len(
        standardize(
            sample, benchmark_feed(), load_suite("traffic_readings"), FeedContext("warm.csv", dt.datetime.now(dt.UTC))
        ).clean
    )


@dataclass
class CityLakeRun:
    clean: int
    quarantined: int
    seconds: float  # the files' tasks on warm workers
    cold_seconds: float  # starting the cluster and warming the workers, paid once per worker
    stages: dict[str, float]  # summed over the workers
    worker_peak_mib: float  # the largest worker's peak RSS
    scheduler_ms_per_task: float  # the scheduler's round trip for a task that does nothing


@contextmanager
def warm_cluster(paths: list[Path], workers: int) -> Iterator[tuple[Client, float]]:
    """A LocalCluster of `workers` single-threaded workers that have paid their fixed costs; (client, seconds that
    starting and warming took)."""
    import dask
    from distributed import Client, LocalCluster

    from pipelines.compute import cluster_config

    dask.config.set(cluster_config())
    started = time.perf_counter()
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        sample = b"".join(paths[0].open("rb").readlines()[:1000])
        client.run(_warm, sample)
        yield client, time.perf_counter() - started


def timed_batch(client: Client, paths: list[Path], out: Path) -> tuple[float, list[tuple[int, int, dict[str, float]]]]:
    """Every file, one task each, on the cluster: (wall seconds, each file's result)."""
    start = time.perf_counter()
    results = client.gather(client.map(_stage, [str(p) for p in paths], [str(out)] * len(paths), pure=False))
    return time.perf_counter() - start, results


def run_citylake(paths: list[Path], out: Path, workers: int = 2, repeats: int = REPEATS) -> CityLakeRun:
    """CityLake's engine, one file per task on a LocalCluster of single-threaded workers, warmed first; the median
    of `repeats` runs on the same warm cluster."""
    with warm_cluster(paths, workers) as (client, cold):
        pids = set(client.run(os.getpid).values())
        with PeakMemory() as memory:
            runs = [timed_batch(client, paths, out) for _ in range(repeats)]
        wall, results = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
        start = time.perf_counter()
        client.gather(client.map(int, range(500), pure=False))
        per_task = (time.perf_counter() - start) / 500
    stages: dict[str, float] = {}
    for _, _, times in results:
        for stage, seconds in times.items():
            stages[stage] = stages.get(stage, 0.0) + seconds
    worker_peak = max((memory.peak_by_process.get(pid, 0) for pid in pids), default=0) / 2**20
    return CityLakeRun(sum(r[0] for r in results), sum(r[1] for r in results), wall, cold, stages, worker_peak, per_task * 1000)


@dataclass(frozen=True)
class Pair:
    """One worker then two on the same files, back to back: each cluster's first batch and its second."""

    one_first: float
    two_first: float
    one: float  # the second batch: the workers' heap already in memory, as a long-running worker's is
    two: float


def one_vs_two_workers(paths: list[Path], out: Path, pairs: int = 5) -> list[Pair]:
    """One worker against two on the same files, `pairs` times, the two runs of each pair back to back: this
    machine's speed drifts over minutes, so a ratio is only fair between neighbouring runs. Each run has its cluster
    to itself (a cluster left idle beside the other would take its share of the machine) and times two batches: a
    fresh worker's first batch also pays for its memory's first use (page faults, slow on this VM and slower when two
    processes fault at once), which a long-running worker paid once."""

    def timed(workers: int) -> tuple[float, float]:
        with warm_cluster(paths, workers) as (client, _):
            return timed_batch(client, paths, out)[0], timed_batch(client, paths, out)[0]

    runs = [(timed(1), timed(2)) for _ in range(pairs)]
    return [Pair(one_first, two_first, one, two) for (one_first, one), (two_first, two) in runs]


def measure(func: Callable[[], object], repeats: int = REPEATS) -> tuple[float, int, object]:
    """The median seconds of `repeats` runs, the peak memory over them, and the last run's value."""
    seconds = []
    with PeakMemory() as memory:
        for _ in range(repeats):
            start = time.perf_counter()
            value = func()
            seconds.append(time.perf_counter() - start)
    return sorted(seconds)[len(seconds) // 2], memory.peak, value


def fit_linear(rows: list[int], seconds: list[float]) -> tuple[float, float]:
    """Least squares seconds = a + b x rows: (fixed seconds a, seconds per row b)."""
    b, a = np.polyfit(np.asarray(rows, dtype=float), np.asarray(seconds, dtype=float), 1)
    return float(a), float(b)


def collect(quick: bool) -> list[Section]:
    """The ingest sections of `make bench`: throughput against DuckDB, linearity, and 1 vs 2 workers."""
    sizes = [100_000, 1_000_000] if quick else [100_000, 1_000_000, 10_000_000]
    ingest = Section(
        "ingest",
        "Ingest + validate + standardize (SYNTHETIC traffic feed, 8 CSV files, 2 workers)",
        ["rows", "engine", "seconds", "rows/s", "peak MiB", "worker peak MiB", "clean rows", "quarantined"],
    )
    ratios: dict[int, float] = {}
    same: list[bool] = []
    fit_rows: list[int] = []
    fit_seconds: list[float] = []
    pairs: list[Pair] = []
    scheduler_ms = 0.0
    for rows in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            print(f"ingest: {rows:,} rows: generating ...", flush=True)
            paths = generate(base, rows)
            duck_seconds, duck_peak, duck_clean = measure(lambda paths=paths, base=base: run_duckdb(paths, base))
            ingest.rows.append(
                [rows, "DuckDB (2 threads)", duck_seconds, rows / duck_seconds, duck_peak / 2**20, "", duck_clean, ""]
            )
            pandas_seconds, pandas_peak, pandas_clean = measure(lambda paths=paths, base=base: run_pandas(paths, base))
            ingest.rows.append(
                [rows, "pandas script", pandas_seconds, rows / pandas_seconds, pandas_peak / 2**20, "", pandas_clean, ""]
            )
            print(f"ingest: {rows:,} rows: CityLake ...", flush=True)
            run = run_citylake(paths, base)
            ingest.rows.append(
                [
                    rows,
                    "CityLake (warm workers)",
                    run.seconds,
                    rows / run.seconds,
                    "",
                    run.worker_peak_mib,
                    run.clean,
                    run.quarantined,
                ]
            )
            ratios[rows] = run.seconds / duck_seconds
            same.append(run.clean == duck_clean == pandas_clean)
            fit_rows.append(rows)
            fit_seconds.append(run.seconds)
            scheduler_ms = run.scheduler_ms_per_task
            busy = sum(v for k, v in run.stages.items())
            ingest.notes.append(
                f"{rows:,} rows: CityLake / DuckDB {ratios[rows]:.2f}x; starting and warming the cluster took {run.cold_seconds:.1f} s "
                "more (once per worker); worker time: "
                + ", ".join(f"{k} {v:.1f} s ({v / busy:.0%})" for k, v in run.stages.items())
            )
            if rows == sizes[-1]:
                print(f"ingest: {rows:,} rows: CityLake on one worker ...", flush=True)
                single = run_citylake(paths, base, workers=1)
                ingest.rows.append(
                    [
                        rows,
                        "CityLake, 1 worker",
                        single.seconds,
                        rows / single.seconds,
                        "",
                        single.worker_peak_mib,
                        single.clean,
                        single.quarantined,
                    ]
                )
                print(f"ingest: {rows:,} rows: one worker against two, back to back ...", flush=True)
                pairs = one_vs_two_workers(paths, base)
    a, b = fit_linear(fit_rows, fit_seconds)
    ingest.notes.append(
        f"Fit over {', '.join(f'{r:,}' for r in fit_rows)} rows: seconds = {a:.2f} + {b * 1e6:.3f} x (rows / 10^6)."
    )
    ingest.goals = [
        Goal("ingest vs DuckDB at 10^6 rows", "<= 1.5x", f"{ratios[1_000_000]:.2f}x", ratios[1_000_000] <= 1.5),
        Goal(
            "ingest vs DuckDB at 10^7 rows",
            "<= 1.25x",
            f"{ratios[10_000_000]:.2f}x" if 10_000_000 in ratios else "full size only",
            ratios[10_000_000] <= 1.25 if 10_000_000 in ratios else None,
        ),
        Goal("same clean rows as DuckDB and pandas", "every size", "yes" if all(same) else "NO", all(same)),
    ]
    scaling = Section(
        "scaling", "Workers: 1 vs 2, and a model of larger clusters", ["workers", "rows", "predicted seconds", "largest term"]
    )
    if pairs:
        speedup = float(np.median([pair.one / pair.two for pair in pairs]))
        first = float(np.median([pair.one_first / pair.two_first for pair in pairs]))
        scaling.goals.append(
            Goal(
                f"speed-up 1 -> 2 workers at {sizes[-1]:,} rows (median of pairs, warm workers)",
                ">= 1.8",
                f"{speedup:.2f}",
                speedup >= 1.8,
            )
        )
        scaling.notes.append(
            f"1 -> 2 workers, {len(pairs)} pairs of back-to-back runs, each on a cluster of its own, second batch: "
            + ", ".join(f"{pair.one:.2f} s / {pair.two:.2f} s = {pair.one / pair.two:.2f}" for pair in pairs)
            + f"; median {speedup:.2f}. The same clusters' first batch (fresh workers, their memory used for the first "
            + "time): "
            + ", ".join(
                f"{pair.one_first:.2f} s / {pair.two_first:.2f} s = {pair.one_first / pair.two_first:.2f}" for pair in pairs
            )
            + f"; median {first:.2f}."
        )
        per_row = float(np.median([pair.one for pair in pairs])) / sizes[-1]
        for workers in (8, 32, 128):
            rows, files = 10**9, 10**9 // 125_000
            terms = {"compute": rows * per_row / workers, "scheduler": files * scheduler_ms / 1000}
            scaling.rows.append([workers, rows, sum(terms.values()), max(terms, key=lambda k: terms[k])])
        scaling.notes.append(
            f"Model: seconds = rows x {per_row * 1e6:.2f} s per 10^6 rows (one worker, measured) / workers + files x "
            f"{scheduler_ms:.2f} ms (the scheduler's round trip per task, measured) for files of 125,000 rows. "
            "Not in the model yet: S3 bandwidth and the Delta commit, which were not measured on several nodes here."
        )
    return [ingest, scaling]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10^5 and 10^6 rows (else up to 10^7)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB; data: SYNTHETIC traffic readings")
    for section in collect(args.quick):
        print(section.markdown())


if __name__ == "__main__":
    main()
