"""Ingest + validate + standardize throughput: CityLake on Dask vs a plain pandas script vs DuckDB.

Generates a SYNTHETIC traffic feed (sensor, local time, speed in mph; ~0.5 % bad rows: non-numeric,
impossible speeds, invalid times, exact duplicates), then does the same work three ways, from the CSV
to Parquet: parse, type checks, range check, mph -> km/h, local time -> UTC, dedup on (sensor, time),
quarantine what fails. Prints rows/s and peak memory (RSS of the whole process tree) per engine, the
ratio CityLake / DuckDB, and where CityLake's time goes.

    .venv/bin/python benchmarks/feed_throughput.py --rows 1000000 10000000

The files are laid out as the lake lays them out: one file per sensor group (the dedup key's partition),
so each group is deduplicated on its own worker with no global shuffle.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import psutil
from measure import PeakMemory  # benchmarks/measure.py

SENSORS = 2000
GROUPS = 8


def generate(directory: Path, rows: int, seed: int = 7) -> list[Path]:
    """SYNTHETIC readings split into GROUPS files by sensor; returns the paths."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    index = np.arange(rows)
    sensor = index % SENSORS  # every sensor reports every 5 minutes: (sensor, time) is unique
    # April: no daylight-saving change in the span, so every engine can place every local time
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
    frame = pd.concat([frame, dupes], ignore_index=True)
    group = frame["sensor"].str[1:].astype(int) % GROUPS
    paths = []
    for g in range(GROUPS):
        path = directory / f"synthetic_speeds_{g}.csv"
        frame[group == g].to_csv(path, index=False)
        paths.append(path)
    return paths


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


def _stage(path: str, out: str, split: bool = False) -> tuple[int, dict[str, float]]:
    """One file on a worker: the engine's stages, timed."""
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
    return len(result.clean), times


def run_citylake(paths: list[Path], out: Path) -> tuple[int, dict[str, float]]:
    """CityLake's engine, one file per task on a 2-worker LocalCluster (startup excluded, printed apart)."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        client.run(lambda: __import__("pipelines.sources.standardize"))  # warm imports once per worker
        start = time.perf_counter()
        results = client.gather(client.map(_stage, [str(p) for p in paths], [str(out)] * len(paths)))
        wall = time.perf_counter() - start
    rows = sum(r[0] for r in results)
    stages: dict[str, float] = {}
    for _, times in results:
        for stage, seconds in times.items():
            stages[stage] = stages.get(stage, 0.0) + seconds
    stages["wall"] = wall
    return rows, stages


def stage_breakdown(paths: list[Path], out: Path) -> dict[str, float]:
    """Where the time of one file goes (in this process, after the timed runs)."""
    return _stage(str(paths[0]), str(out), split=True)[1]


def measure(label: str, func: Callable[[], object]) -> tuple[float, int, object]:
    with PeakMemory() as memory:
        start = time.perf_counter()
        value = func()
        seconds = time.perf_counter() - start
    return seconds, memory.peak, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB; data: SYNTHETIC traffic readings")
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            print(f"\n== {rows:,} rows: generating ...", flush=True)
            paths = generate(base, rows)
            size = sum(p.stat().st_size for p in paths)
            table = []
            for label, func in (
                ("duckdb", lambda paths=paths, base=base: run_duckdb(paths, base)),
                ("pandas", lambda paths=paths, base=base: run_pandas(paths, base)),
                ("citylake", lambda paths=paths, base=base: run_citylake(paths, base)),
            ):
                print(f"   running {label} ...", flush=True)
                seconds, peak, value = measure(label, func)
                table.append((label, seconds, peak, value))
            print(f"   input: {len(paths)} CSV files, {size / 2**20:,.0f} MiB")
            print(f"   {'engine':<10} {'seconds':>8} {'rows/s':>12} {'peak MiB':>9} {'clean rows':>11}")
            for label, seconds, peak, value in table:
                clean = value[0] if isinstance(value, tuple) else value
                print(f"   {label:<10} {seconds:>8.1f} {rows / seconds:>12,.0f} {peak / 2**20:>9,.0f} {clean:>11,}")
            duck = table[0][1]
            city_seconds = table[2][1]
            stages = table[2][3][1]
            print(
                f"   ratio citylake / duckdb: {city_seconds / duck:.2f}x (citylake wall of the tasks alone: "
                f"{stages['wall']:.1f} s, {stages['wall'] / duck:.2f}x)"
            )
            busy = sum(v for k, v in stages.items() if k != "wall")
            print(
                "   citylake worker time: "
                + ", ".join(f"{k} {v:.1f} s ({v / busy:.0%})" for k, v in stages.items() if k != "wall")
            )
            one = stage_breakdown(paths, base)
            print(
                f"   one file of {rows // GROUPS:,} rows: standardize {one['standardize']:.2f} s, of which parse "
                f"{one['of which parse']:.2f} s ({one['of which parse'] / one['standardize']:.0%}); the rest is typing, units, "
                f"time zones, suite rules and dedup"
            )


if __name__ == "__main__":
    main()
