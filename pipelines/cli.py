"""`citylake`: run the demo, query the lake, list its tables, run the Airflow CLI against this project."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import pandas as pd

from pipelines.config import load_settings


def _query(args: argparse.Namespace) -> int:
    from pipelines.bi.sql import query

    result = query(load_settings(), args.sql)
    if args.format == "csv":
        from pipelines.bi.export import defuse_formulas

        defuse_formulas(result).to_csv(sys.stdout, index=False)
        return 0
    if result.empty:
        print(f"no rows (columns: {', '.join(map(str, result.columns))})")
        return 0
    shown = result.head(args.max_rows)
    with pd.option_context("display.max_columns", None, "display.width", 200):
        print(shown.to_string(index=False))
    if len(result) > len(shown):
        print(f"... {len(result) - len(shown):,} more row(s) not shown (of {len(result):,}; --max-rows {args.max_rows})")
    return 0


def _search(args: argparse.Namespace) -> int:
    import datetime as dt

    from pipelines.bi.search import Search, SearchError, search

    def moment(text: str | None) -> dt.datetime | None:
        if text is None:
            return None
        value = dt.datetime.fromisoformat(text)
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)

    near = None
    if args.near:
        try:
            lat, lon, metres = (float(part) for part in args.near.split(","))
        except ValueError:
            raise SearchError(f"--near takes LAT,LON,METRES (e.g. 41.88,-87.63,250), not {args.near!r}") from None
        near = (lat, lon, metres)
    what = Search(args.key, near, args.district, args.cell, moment(args.start), moment(args.end))
    hits = search(load_settings(), what, args.limit)
    if args.format == "csv":
        hits.to_csv(sys.stdout, index=False)
    elif hits.empty:
        print("nothing found")
    else:
        shown = hits.assign(record=hits["record"].str.slice(0, 80))
        with pd.option_context("display.max_columns", None, "display.width", 220):
            print(shown.to_string(index=False))
        print(f"{len(hits):,} record(s) in {hits['table'].nunique()} table(s)")
    return 0


def _tables(args: argparse.Namespace) -> int:
    from pipelines.bi.sql import open_database

    con, views = open_database(load_settings())
    if not views:
        print("nothing published yet: run `make demo`")
    for view in views:
        counted = con.sql(f'SELECT count(*) FROM "{view.name}"').fetchone()
        rows = counted[0] if counted else 0
        print(f"{view.name:<34} {view.zone.value:<11} {rows:>10,} rows  {view.uri}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from pipelines.demo import (
        DemoError,
        run_demo,
        run_emergency_demo,
        run_energy_demo,
        run_forecast_demo,
        run_gov_demo,
        run_safety_demo,
        run_traffic_demo,
        run_urban_demo,
    )

    demos = {
        "air": run_demo,
        "traffic": run_traffic_demo,
        "safety": run_safety_demo,
        "forecast": run_forecast_demo,
        "energy": run_energy_demo,
        "urban": run_urban_demo,
        "emergency": run_emergency_demo,
        "gov": run_gov_demo,
    }
    try:
        print(demos[args.domain](load_settings()))
    except DemoError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    return 0


def _summary(args: argparse.Namespace) -> int:
    from pipelines.domains.environment.report import summary_text

    print(summary_text(load_settings(), chart=Path(args.chart) if args.chart else None))
    return 0


def _airflow(args: argparse.Namespace) -> int:
    from pipelines.orchestration.airflow_env import airflow_environment, airflow_executable
    from pipelines.platform import PlatformConfig, running_environment

    config = PlatformConfig()
    platform = running_environment(load_settings(), config)
    if platform is not None:  # the same Airflow as the UI: a run triggered here is scheduled there
        print(f"citylake airflow: the platform runs: using its Airflow ({config.airflow_home})", file=sys.stderr)
    airflow = airflow_executable()
    os.execve(airflow, [airflow, *args.airflow_args], platform or airflow_environment())
    return 0  # not reached


def _doctor(args: argparse.Namespace) -> int:
    from pipelines.doctor import diagnose, report
    from pipelines.orchestration.airflow_env import airflow_environment
    from pipelines.platform import PlatformConfig

    checks = diagnose(load_settings(), None if args.no_airflow else airflow_environment(), PlatformConfig())
    print(report(checks))
    return 1 if any(c.status == "fail" for c in checks) else 0


def _sources(args: argparse.Namespace) -> int:
    from pipelines.sources.check import check_report, list_report
    from pipelines.sources.registry import all_sources, get_source

    settings = load_settings()
    if args.action == "list":
        print(list_report(all_sources(), settings))
        return 0
    if args.action == "draft":
        from pipelines.lake.catalog import clean_dataset
        from pipelines.sources.draft import draft_feed, draft_yaml

        if not args.feed:
            print("usage: citylake sources draft SAMPLE_FILE [--dataset DATASET]", file=sys.stderr)
            return 2
        dataset = clean_dataset(args.dataset) if args.dataset else None
        print(draft_yaml(draft_feed(Path(args.feed), dataset), dataset), end="")
        return 0
    if not args.feed or not args.sample:
        print("usage: citylake sources check FEED SAMPLE_FILE [--rows N]", file=sys.stderr)
        return 2
    print(check_report(get_source(args.feed), Path(args.sample), settings, args.rows))
    return 0


def _docs(args: argparse.Namespace) -> int:
    from pipelines.config import PROJECT_ROOT
    from pipelines.lake.catalog.docs import generated_docs

    stale = []
    for relative, text in generated_docs().items():
        path = PROJECT_ROOT / relative
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(relative)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    verb = "out of step with the lake catalog (run `citylake docs`)" if args.check else "written"
    for relative in stale:
        print(f"{relative}: {verb}")
    return 1 if args.check and stale else 0


def _generate(args: argparse.Namespace) -> int:
    from pipelines.domains.environment.synthetic import write_synthetic_files

    for path in write_synthetic_files(Path(args.out), stations=args.stations, days=args.days, seed=args.seed):
        print(path)
    return 0


def _generate_cases(args: argparse.Namespace) -> int:
    from pipelines.domains.public_safety.synthetic import write_many_cases

    paths = write_many_cases(args.cases, Path(args.out), seed=args.seed)
    print(f"{len(paths)} SYNTHETIC files (cases, persons, vehicles, hotel stays, flights; one per month) in {args.out}")
    return 0


def _up(args: argparse.Namespace) -> int:
    from pipelines.platform import PlatformConfig, PlatformError, describe, up

    config = PlatformConfig(
        api_port=args.api_port,
        dask_port=args.dask_port,
        workers=args.workers,
        worker_memory=args.worker_memory,
        schedulers=args.schedulers,
        postgres_port=args.postgres_port if args.schedulers > 1 else None,
    )
    print(f"starting a Dask scheduler, {config.workers} workers and Airflow's four services (about a minute)...", flush=True)
    try:
        started = up(load_settings(), config)
    except PlatformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(describe(config, started))
    return 0


def _down(args: argparse.Namespace) -> int:
    from pipelines.platform import down

    stopped = down()
    print(f"stopped {len(stopped)} processes: {', '.join(stopped)}" if stopped else "nothing of the platform was running")
    return 0


def _scale_demo(args: argparse.Namespace) -> int:
    from pipelines.scaleout import demo
    from pipelines.scaleout.storage_cluster import StorageClusterError

    try:
        outcomes = demo.run_scale_demo(reduced=args.reduced, keep=args.keep)
    except StorageClusterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0 if all(o.passed for o in outcomes) else 1


def _bi(args: argparse.Namespace) -> int:
    from pipelines.bi import pgwire, superset
    from pipelines.config import PROJECT_ROOT

    settings = load_settings()
    config = superset.SupersetConfig(port=args.superset_port)
    pg_home = PROJECT_ROOT / "var" / "bi" / "pgwire"
    who = pgwire.credentials(pg_home / "secrets" / "password")
    if args.action == "pg":
        pgwire.serve(settings, args.host, args.port, who, ready=lambda line: print(line, flush=True))
        return 0
    if args.action == "down":
        stopped = pgwire.stop(pg_home) + superset.down(config)
        print(f"stopped: {', '.join(stopped)}" if stopped else "no BI service was running")
        return 0
    if args.action == "export":
        written = superset.export_assets(config, settings)
        print(f"{len(written)} files written under {superset.ASSETS.relative_to(PROJECT_ROOT)}: review the diff and commit")
        return 0
    superset.up(settings, config, say=lambda line: print(line, flush=True))
    pgwire.start_background(pg_home, args.host, args.port)
    print(
        "\n".join(
            [
                "CityLake BI up",
                f"  Superset       {config.url}/superset/dashboard/city-situation/   user {config.admin}, password {superset.admin_password(config)}",
                f"  Postgres wire  psql 'host={args.host} port={args.port} user={who.user} dbname=citylake'   password {who.password}",
                f"  Lake           {settings.lake_uri} (read-only: these clients read the lake's views and nothing else)",
                "  Stop with      make bi-down",
            ]
        )
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="citylake", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("query", help="run one read-only SQL query (DuckDB) over the lake's tables")
    q.add_argument("sql", help='a SELECT over the views `citylake tables` lists, e.g. "SELECT * FROM air_aqi_daily LIMIT 5"')
    q.add_argument("--format", choices=["table", "csv"], default="table", help="a table for people (default) or CSV for tools")
    q.add_argument("--max-rows", type=int, default=50, help="table format: show at most this many rows (default 50)")
    q.set_defaults(run=_query)
    sub.add_parser("tables", help="list the lake's tables (views for `query`)").set_defaults(run=_tables)
    f = sub.add_parser("search", help="every record about a key, around a place or in a time window, in every clean table")
    f.add_argument("--key", help="a key or identifier: a person or plate pseudonym, a sensor, a station, an incident")
    f.add_argument("--near", help="LAT,LON,METRES: within that many metres of a WGS84 point")
    f.add_argument("--district", help="in this district")
    f.add_argument("--cell", help="in this grid cell ('<size>:<row>:<col>', as the clean tables store it)")
    f.add_argument("--from", dest="start", help="at or after this time (ISO 8601; UTC when no offset is given)")
    f.add_argument("--to", dest="end", help="before this time (ISO 8601; UTC when no offset is given)")
    f.add_argument("--limit", type=int, default=1000, help="at most this many records per table (default 1000)")
    f.add_argument("--format", choices=["table", "csv"], default="table", help="a table for people (default) or CSV")
    f.set_defaults(run=_search)
    d = sub.add_parser("demo", help="run a domain's pipeline end to end through Airflow (air quality by default)")
    d.add_argument(
        "domain",
        nargs="?",
        choices=["air", "traffic", "safety", "forecast", "energy", "urban", "emergency", "gov"],
        default="air",
        help="which application (default air; forecast: AQI a day ahead, replayed hour by hour; energy: energy, water, noise)",
    )
    d.set_defaults(run=_demo)
    s = sub.add_parser("summary", help="print the air-quality summary of the lake")
    s.add_argument("--chart", help="also write the monthly AQI chart to this PNG file")
    s.set_defaults(run=_summary)
    a = sub.add_parser(
        "airflow", help="the airflow CLI for this project: the running platform's Airflow while `make up` runs, else var/airflow"
    )
    a.add_argument("airflow_args", nargs=argparse.REMAINDER, help="arguments for `airflow`, e.g. dags list")
    a.set_defaults(run=_airflow)
    doc = sub.add_parser("doctor", help="check the lake, the Dask scheduler, Airflow and the settings; say how to fix problems")
    doc.add_argument("--no-airflow", action="store_true", help="skip the Airflow checks (they take a few seconds)")
    doc.set_defaults(run=_doctor)
    u = sub.add_parser("up", help="start the local platform: Airflow's four services and a Dask scheduler with workers")
    u.add_argument("--workers", type=int, default=2, help="Dask workers to start (default 2)")
    u.add_argument("--worker-memory", default="4GiB", help="memory limit of each Dask worker (default 4GiB)")
    u.add_argument("--api-port", type=int, default=8080, help="port of the Airflow UI and API (default 8080)")
    u.add_argument("--dask-port", type=int, default=8786, help="port of the Dask scheduler (default 8786)")
    u.add_argument(
        "--schedulers", type=int, default=1, help="Airflow schedulers (default 1); 2 or more run Airflow's metadata on PostgreSQL"
    )
    u.add_argument("--postgres-port", type=int, default=5434, help="port of that PostgreSQL (default 5434)")
    u.set_defaults(run=_up)
    sub.add_parser("down", help="stop exactly the processes `up` started").set_defaults(run=_down)
    sc = sub.add_parser(
        "scale-demo",
        help="node loss for real: a storage daemon, a gateway, a worker host and a scheduler lost mid-run; 1, 2, 4 hosts timed",
    )
    sc.add_argument("--reduced", action="store_true", help="the reliability suite's sizes (air: two stations for two weeks)")
    sc.add_argument("--keep", action="store_true", help="keep the storage cluster's data under var/scale/ceph")
    sc.set_defaults(run=_scale_demo)
    bi = sub.add_parser("bi", help="BI services: Superset with the City situation dashboard, the Postgres-wire endpoint")
    bi.add_argument(
        "action",
        choices=["up", "down", "pg", "export"],
        help="up: install (once), provision and start both; down: stop them; pg: serve the Postgres wire in the foreground;"
        " export: write the running Superset's dashboards back into infra/superset/assets",
    )
    bi.add_argument(
        "--host", default="127.0.0.1", help="the Postgres-wire endpoint's address (default 127.0.0.1: this machine only)"
    )
    bi.add_argument("--port", type=int, default=5433, help="the Postgres-wire endpoint's port (default 5433)")
    bi.add_argument("--superset-port", type=int, default=8088, help="Superset's port (default 8088)")
    bi.set_defaults(run=_bi)
    src = sub.add_parser(
        "sources",
        help="list the feeds; check a feed's YAML against a sample file; draft a feed YAML from a new file (writes nothing)",
    )
    src.add_argument(
        "action", nargs="?", choices=["list", "check", "draft"], default="list", help="list (default), check or draft"
    )
    src.add_argument("feed", nargs="?", help="check: the feed's name; draft: the sample file")
    src.add_argument("sample", nargs="?", help="check: the sample file")
    src.add_argument("--rows", type=int, default=5, help="check: how many mapped rows to show")
    src.add_argument("--dataset", help="draft: the canonical dataset the file should feed (columns are matched by name)")
    src.set_defaults(run=_sources)
    docs = sub.add_parser("docs", help="write docs/schemas.md and docs/marts.md from the lake catalog")
    docs.add_argument("--check", action="store_true", help="only say which pages are out of step (exit 1)")
    docs.set_defaults(run=_docs)
    g = sub.add_parser("generate-air", help="write SYNTHETIC air-quality files in the PRSA layout")
    g.add_argument("--out", required=True, help="the folder to write the files to")
    g.add_argument("--stations", type=int, default=4, help="how many stations (default 4)")
    g.add_argument("--days", type=int, default=365, help="how many days from 2013-03-01 (default 365)")
    g.add_argument("--seed", type=int, default=20130301, help="random seed: the same seed writes the same files")
    g.set_defaults(run=_generate)
    c = sub.add_parser("generate-cases", help="write SYNTHETIC police sources (cases, persons, vehicles, stays, flights)")
    c.add_argument("--out", required=True, help="the folder to write the five files to")
    c.add_argument("--cases", type=int, default=100_000, help="how many cases (default 100,000)")
    c.add_argument("--seed", type=int, default=5, help="random seed: the same seed writes the same files")
    c.set_defaults(run=_generate_cases)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `citylake` command."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)  # a usage error exits with 2
    try:
        return args.run(args)
    except BrokenPipeError:  # `citylake query ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # one clear line for operators (exit 1); tracebacks with CITYLAKE_DEBUG=1
        if os.environ.get("CITYLAKE_DEBUG"):
            raise
        print(f"citylake {args.command}: {one_line(exc)}", file=sys.stderr)
        return 1


def one_line(exc: BaseException) -> str:
    """An error as one line without Python's class names: DuckDB's first line ('Catalog Error: ... Did you mean
    "air_aqi_daily"?') and hint lines joined, a KeyError's message without its quotes."""
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    lines = [line.strip() for line in str(text).splitlines() if line.strip() and not line.strip().startswith("LINE ")]
    return " ".join(line for line in lines if not set(line) <= {"^", " "}) or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
