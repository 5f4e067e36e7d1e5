"""BI latency: p50 and p95 of typical dashboard queries through CityLake's SQL surface, warm and cold.

The table is a SYNTHETIC `clean/crime_incidents` of N incidents (built as search_latency.py builds it: one
delivered file per day, 25 districts over 20 x 20 km). Each query runs through the locked-down BI database
(`pipelines.bi.sql.open_database`, the connection a BI tool gets). Cold: a new connection's first run of each
query. Warm: the same queries repeated on an open connection that has run each of them once. With an S3 endpoint in the environment
(S3_ENDPOINT_URL, as ../shared/tools/real-s3-server.sh prints), the same runs on a lake in a real S3 bucket, in both
snapshot modes (`Settings.bi_snapshot_mode`: session pins each table's snapshot per connection, live reads the
newest commit on every query).
The goal (issue 20): p95 under 1 s at 10^7 rows, warm.

    .venv/bin/python benchmarks/bi_latency.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

from measure import Goal, Section, percentile  # benchmarks/measure.py
from search_latency import build  # benchmarks/search_latency.py

from pipelines.bi.sql import open_database
from pipelines.config import Settings, load_settings
from pipelines.doctor import small_read_seconds
from pipelines.lake.storage import Lake

TABLE = "clean_crime_incidents"
# by the city's calendar (local_date, local_hour: the feed's time zone), as a city's dashboard counts days and hours
QUERIES = {
    "one month by day and district": f"""SELECT district, local_date AS day, count(*) AS incidents FROM {TABLE}
        WHERE local_date >= DATE '2024-01-01' AND local_date < DATE '2024-02-01' GROUP BY ALL""",
    "top 10 district x offense": f"""SELECT district, offense, count(*) AS incidents FROM {TABLE}
        GROUP BY ALL ORDER BY incidents DESC, district, offense LIMIT 10""",
    "month over month": f"""WITH m AS (SELECT date_trunc('month', local_date) AS month, count(*) AS incidents FROM {TABLE} GROUP BY 1)
        SELECT month, incidents, incidents - lag(incidents) OVER (ORDER BY month) AS change FROM m ORDER BY month""",
    "one district by hour of day": f"""SELECT local_hour AS hour, count(*) AS incidents FROM {TABLE}
        WHERE district = 'D22' GROUP BY 1 ORDER BY 1""",
}


def run_queries(settings: Settings, repeats: int) -> tuple[dict[str, float], dict[str, list[float]]]:
    """(cold seconds per query, warm seconds per query) on fresh connections."""
    cold: dict[str, float] = {}
    for name, sql in QUERIES.items():
        con, _ = open_database(settings)
        started = time.perf_counter()
        con.execute(sql).fetchall()
        cold[name] = time.perf_counter() - started
        con.close()
    warm: dict[str, list[float]] = {name: [] for name in QUERIES}
    con, _ = open_database(settings)
    for sql in QUERIES.values():  # the connection's own first run of each query fills its caches: not timed
        con.execute(sql).fetchall()
    for _ in range(repeats):
        for name, sql in QUERIES.items():
            started = time.perf_counter()
            con.execute(sql).fetchall()
            warm[name].append(time.perf_counter() - started)
    con.close()
    return cold, warm


def s3_settings() -> Settings | None:
    endpoint = os.environ.get("S3_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        return None
    return load_settings(lake_uri=f"s3://citylake-bench-{uuid.uuid4().hex[:8]}/lake", s3_endpoint_url=endpoint)


def small_read_note(lake: Lake, lake_name: str) -> str:
    """How long one small read of the lake takes (`citylake doctor`'s probe): a Delta query makes several first."""
    probe = f"{lake.layout.root}/_meta/bench-probe"
    lake.write_bytes(probe, b"citylake bench")
    seconds = small_read_seconds(lake, probe, times=20)
    lake.fs.rm(probe)
    return f"{lake_name}: a small read (one object of 14 bytes) takes {seconds * 1000:.0f} ms, median of 20."


def collect(quick: bool, repeats: int = 10) -> list[Section]:
    """The BI section of `make bench`."""
    sizes = [1_000_000] if quick else [1_000_000, 10_000_000]
    section = Section(
        "bi",
        "BI latency: dashboard queries through the locked-down SQL surface (SYNTHETIC incidents)",
        ["rows", "lake", "query", "cold s", "warm p50 s", "warm p95 s"],
    )
    worst_warm: dict[tuple[int, str], float] = {}
    lakes: list[tuple[str, Settings | None]] = [("local", None), ("S3 (Ceph RGW)", s3_settings())]
    for lake_name, remote in lakes:
        if lake_name != "local" and remote is None:
            section.notes.append(
                "S3: not run (no S3_ENDPOINT_URL in the environment; `make bench` starts the real S3 server when it can)."
            )
            continue
        for rows in sizes:
            with tempfile.TemporaryDirectory() as folder:
                settings = remote or load_settings(lake_uri=f"{folder}/lake")
                if remote is not None:
                    settings = load_settings(
                        lake_uri=f"{remote.lake_uri.rsplit('/', 1)[0]}-{rows}/lake",
                        s3_endpoint_url=remote.s3_endpoint,
                        bi_database=Path(folder) / "bi.duckdb",
                    )
                lake = Lake(settings)
                lake.ensure_exists()
                print(f"bi: building {rows:,} incidents on the {lake_name} lake ...", flush=True)
                build(lake, rows, per_file=rows // 100)  # 100 days, one file each
                # on S3 both snapshot modes (session is the default there); the local lake reads live
                modes = ["session", "live"] if remote is not None else ["live"]
                try:
                    if remote is not None and rows == sizes[0]:
                        section.notes.append(small_read_note(lake, lake_name))
                    timed = {mode: run_queries(settings.model_copy(update={"bi_snapshot": mode}), repeats) for mode in modes}
                finally:
                    if remote is not None:
                        lake.fs.rm(lake.bucket(), recursive=True)
                for mode, (cold, warm) in timed.items():
                    where = f"{lake_name}, {mode}"
                    every_warm = [s for runs in warm.values() for s in runs]
                    worst_warm[(rows, where)] = percentile(every_warm, 95)
                    for name in QUERIES:
                        section.rows.append(
                            [rows, where, name, cold[name], percentile(warm[name], 50), percentile(warm[name], 95)]
                        )
    at_target = worst_warm.get((10_000_000, "local, live"))
    section.goals.append(
        Goal(
            "p95 of the dashboard queries at 10^7 rows, warm, local lake",
            "< 1 s",
            f"{at_target:.2f} s" if at_target is not None else "full size only",
            at_target < 1.0 if at_target is not None else None,
        )
    )
    on_s3 = worst_warm.get((10_000_000, "S3 (Ceph RGW), session"))
    if on_s3 is not None:
        section.goals.append(
            Goal("the same on the real S3 server (sessions pin snapshots)", "< 1 s", f"{on_s3:.2f} s", on_s3 < 1.0)
        )
    live_s3 = worst_warm.get((10_000_000, "S3 (Ceph RGW), live"))
    if live_s3 is not None:
        section.notes.append(
            f"On S3 read live (CITYLAKE_BI_SNAPSHOT=live: each query reads each table's Delta log first), the warm p95 "
            f"at 10^7 rows is {live_s3:.2f} s."
        )
    return [section]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10^6 rows (else 10^6 and 10^7)")
    args = parser.parse_args()
    for section in collect(args.quick):
        print(section.markdown())


if __name__ == "__main__":
    main()
