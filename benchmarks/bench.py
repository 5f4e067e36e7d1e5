"""`make bench`: every performance goal of the project measured in one run, each marked met or not.

    .venv/bin/python benchmarks/bench.py [--quick] [--only ingest large rules bi airflow]

Sections: ingest against DuckDB (and the fit of time against rows, 1 vs 2 workers, a model of larger clusters),
one large file through the clean job (10^7 and 10^8 rows, on every worker or one; memory per worker),
frequent itemsets against fim, BI latency (on a real S3 server too when one can be started), and Airflow's overhead from
a file landing to its clean table published on the local platform. `--quick` runs the
small sizes in a few minutes; the full size takes about an hour. Writes var/bench/results.json (machine, commit,
sizes, every row and goal) and var/bench/results.md (the same as tables), and prints the tables.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import airflow_overhead
import association_rules
import bi_latency
import feed_throughput
import large_files
import psutil
from measure import Section

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"
S3_TOOL = Path(os.environ.get("CITYLAKE_S3_TOOL", ROOT.parent / "shared" / "tools" / "real-s3-server.sh"))
PARTS: dict[str, Callable[[bool], list[Section]]] = {
    "ingest": feed_throughput.collect,
    "large": large_files.collect,
    "rules": association_rules.collect,
    "bi": bi_latency.collect,
    "airflow": airflow_overhead.collect,
}


def machine() -> dict[str, object]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30),
        "python": platform.python_version(),
        "commit": commit or "unknown",
    }


def start_s3() -> bool:
    """Start the real S3 server (../shared/tools) and export its variables; False when it is not there or fails."""
    if os.environ.get("S3_ENDPOINT_URL") or not S3_TOOL.exists():
        return False
    done = subprocess.run(["bash", str(S3_TOOL)], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"the real S3 server did not start (exit {done.returncode}): BI on S3 is skipped", flush=True)
        return False
    for line in done.stdout.splitlines():
        if line.startswith("export ") and "=" in line:
            name, value = line.removeprefix("export ").split("=", 1)
            os.environ[name] = value.strip("'\"")
    return True


def markdown(report: dict, sections: list[Section]) -> str:
    m = report["machine"]
    head = [
        f"## make bench ({report['mode']}), {report['finished']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; Python {m['python']}; commit {m['commit']}; "
        f"{report['seconds'] / 60:.0f} min.",
        "",
    ]
    goals = [(s.name, g) for s in sections for g in s.goals]
    verdict = {True: "met", False: "**not met**", None: "not measured"}
    summary = ["| section | goal | target | measured | |", "|---|---|---|---|---|"]
    summary += [f"| {name} | {g.name} | {g.target} | {g.measured} | {verdict[g.met]} |" for name, g in goals]
    return "\n".join(head + summary + [""] + [s.markdown() for s in sections])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the small sizes, a few minutes")
    parser.add_argument("--only", nargs="+", choices=list(PARTS), default=list(PARTS))
    args = parser.parse_args()
    started = time.perf_counter()
    stop_s3 = not args.quick and "bi" in args.only and start_s3()
    sections: list[Section] = []
    try:
        for name in args.only:
            print(f"== {name}", flush=True)
            sections += PARTS[name](args.quick)
    finally:
        if stop_s3:
            subprocess.run(["bash", str(S3_TOOL), "stop"], capture_output=True)
    report = {
        "mode": "quick" if args.quick else "full",
        "finished": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": time.perf_counter() - started,
        "machine": machine(),
        "sections": [s.as_json() for s in sections],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(report, indent=2, default=str))
    text = markdown(report, sections)
    (OUT / "results.md").write_text(text)
    print(text)
    print(f"written: {OUT / 'results.json'}, {OUT / 'results.md'}")


if __name__ == "__main__":
    main()
