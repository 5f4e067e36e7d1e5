"""Search latency across the lake: p50 and p95 of `citylake search` by key, around a point, by district and in a
time window, on a SYNTHETIC clean table of N incidents.

The incidents are delivered as files of one day each (the clean zone's layout: one partition per delivered file),
points spread over a city of 20 x 20 km in 25 districts. The target (issue 15): p95 under 1 s at 10^7 rows.

    .venv/bin/python benchmarks/search_latency.py --rows 1000000 [--searches 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import numpy as np
import pandas as pd

from pipelines.bi.search import Search, search
from pipelines.config import load_settings
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.storage import Lake

DAYS_PER_FILE = 1
CENTRE = (41.85, -87.65)
TIMEZONE = "America/Chicago"  # the city's civil time


def build(lake: Lake, rows: int, seed: int = 3, per_file: int = 100_000) -> pd.DataFrame:
    """Write the incidents, one delivered file per day; return a sample of them to search for."""
    table = clean_dataset("crime_incidents")
    rng = np.random.default_rng(seed)
    files = max(1, rows // per_file)
    start = pd.Timestamp("2024-01-01", tz="UTC")
    samples = []
    for f in range(files):
        n = per_file if f < files - 1 else rows - per_file * (files - 1)
        lat = CENTRE[0] + rng.uniform(-0.09, 0.09, n)
        lon = CENTRE[1] + rng.uniform(-0.12, 0.12, n)
        instants = (start + pd.Timedelta(days=f) + pd.to_timedelta(np.sort(rng.integers(0, 86_400, n)), unit="s")).as_unit("us")
        local = instants.tz_convert(TIMEZONE)
        frame = pd.DataFrame(
            {
                "incident_id": [f"SYN-{f:05d}-{i:06d}" for i in range(n)],
                "ts_utc": instants,
                "ts_precision": "second",
                "local_date": local.date,
                "local_hour": local.hour.astype("int8"),
                "offense": rng.choice(["THEFT", "BATTERY", "ASSAULT", "BURGLARY"], n),
                "location_category": "STREET",
                "reported_district": None,
                "latitude": lat.round(5),
                "longitude": lon.round(5),
                "district": [
                    f"D{int(a)}{int(b)}" for a, b in zip((lat - CENTRE[0] + 0.09) // 0.036, (lon - CENTRE[1] + 0.12) // 0.048)
                ],
                "outside_districts": False,
                "grid_cell": None,
                "source_file": f"SYNTHETIC_incidents_{f:05d}.csv",
                "source_line": np.arange(2, n + 2),
            }
        )[table.names]
        lake.publish(table, frame, {"source_file": [frame["source_file"].iloc[0]]}, "bench", f"bench-{f}")
        samples.append(frame.sample(5, random_state=f))
        print(f"  wrote file {f + 1}/{files} ({n:,} rows)", flush=True)
    return pd.concat(samples, ignore_index=True)


def timed(settings, what: Search) -> tuple[float, int]:
    started = time.perf_counter()
    hits = search(settings, what)
    return time.perf_counter() - started, len(hits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=20, help="searches of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(lake_uri=f"{folder}/lake")
        lake = Lake(settings)
        print(f"building a SYNTHETIC lake of {args.rows:,} incidents ...", flush=True)
        sample = build(lake, args.rows)
        search(settings, Search(key="warm-up"))  # builds the BI database file once, as the first user would
        rng = np.random.default_rng(1)
        kinds = {
            "key": lambda r: Search(key=r.incident_id),
            "within 250 m": lambda r: Search(near=(r.latitude, r.longitude, 250)),
            "district + day": lambda r: Search(
                district=r.district,
                start=r.ts_utc.floor("D").to_pydatetime(),
                end=(r.ts_utc.floor("D") + pd.Timedelta("1D")).to_pydatetime(),
            ),
            "one hour": lambda r: Search(
                start=r.ts_utc.floor("h").to_pydatetime(), end=(r.ts_utc.floor("h") + pd.Timedelta("1h")).to_pydatetime()
            ),
        }
        print(f"\n{'search':<16} {'p50':>7} {'p95':>7} {'hits (median)':>14}")
        worst = 0.0
        for name, make in kinds.items():
            picks = sample.iloc[rng.integers(0, len(sample), args.searches)]
            runs = [timed(settings, make(row)) for row in picks.itertuples()]
            seconds = sorted(s for s, _ in runs)
            p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
            worst = max(worst, p95)
            print(f"{name:<16} {statistics.median(seconds):>6.2f}s {p95:>6.2f}s {statistics.median(h for _, h in runs):>14,.0f}")
        print(f"\nworst p95: {worst:.2f} s on {args.rows:,} rows (target: under 1 s at 10^7 rows)")


if __name__ == "__main__":
    main()
