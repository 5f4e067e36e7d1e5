"""`make demo`: deliver the air-quality files, run both DAGs through Airflow, print what the lake now holds."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.config import PROJECT_ROOT, Settings, local_pseudonym_key
from pipelines.domains.environment import forecast_jobs
from pipelines.domains.environment.pipeline import feed as air_feed
from pipelines.domains.environment.report import summary_text
from pipelines.domains.environment.synthetic import write_synthetic_files
from pipelines.domains.traffic import pipeline as traffic_pipeline
from pipelines.domains.traffic.synthetic import write_synthetic_traffic
from pipelines.forecasting.report import replay_text
from pipelines.lake.catalog.environment import AIR_AQI_HOURLY, AIR_POLLUTION_WARNINGS
from pipelines.lake.ingest import deliver
from pipelines.lake.storage import Lake
from pipelines.orchestration.airflow_env import airflow_environment, airflow_executable
from pipelines.orchestration.feed_dags import FeedDag
from pipelines.sources.registry import get_source, local_timezone
from pipelines.sources.spec import FeedSpec

DAGS = ("environment_air_beijing_clean", "environment_aqi_marts")
TRAFFIC_FEEDS = ("metr_la_speeds", "metr_la_sensors", "metr_la_road_links")
PROGRESS = re.compile(r"\[pipelines\.|DagRun Finished|Skipping task|ERROR|Traceback|QualityGateError")
REPLAY_PROGRESS = re.compile(r"^    (replayed|\S+ triggered at)|ERROR|Traceback")
# The forecast replay's parameters (the scoring DAG's `forecast` param): four horizons keep each retraining near a
# minute; each hourly run forecasts from its own hour; the champion rule judges on one day of live errors.
REPLAY_FORECAST = {
    "horizons_h": [1, 6, 12, 24],
    "score_hours": 1,
    "champion_rule": {"margin_pct": 5.0, "window_days": 1, "min_points": 100, "drift_factor": 1.5},
}


class DemoError(RuntimeError):
    """A step of the demo failed; the message says which and where its log is."""


def feed_files(settings: Settings, feed: FeedSpec) -> list[Path]:
    """The public files a feed is demonstrated with, found under the data directory."""
    return sorted(path for pattern in feed.data_files for path in settings.data_dir.glob(pattern))


def air_files(settings: Settings, out: Path = PROJECT_ROOT / "var" / "synthetic") -> tuple[list[Path], bool]:
    """The real Beijing files when the data directory has them, else freshly generated synthetic ones."""
    real = feed_files(settings, air_feed())
    if real:
        return real, False
    return write_synthetic_files(out), True


def first_lines(path: Path, rows: int) -> bytes:
    """The header and the first `rows` data rows of a text file (a slice of a station's file, cut at run time)."""
    with path.open("rb") as handle:
        return b"".join(line for line, _ in zip(handle, range(rows + 1)))


def speeds_slice(path: Path, sensors: int, rows: int) -> bytes:
    """The first `rows` readings of the first `sensors` columns of a wide speed file (METR-LA's layout)."""
    frame = pd.read_csv(path, dtype=str, nrows=rows)
    return frame.iloc[:, :sensors].to_csv(index=False).encode()


def traffic_files(
    settings: Settings, out: Path = PROJECT_ROOT / "var" / "synthetic" / "traffic"
) -> tuple[list[tuple[FeedSpec, list[Path]]], bool]:
    """The METR-LA speeds, sensor locations and road links (speeds first), else freshly generated synthetic ones."""
    feeds = [get_source(name) for name in TRAFFIC_FEEDS]
    real = [(feed, feed_files(settings, feed)) for feed in feeds]
    if all(paths for _, paths in real):
        return real, False
    speeds, locations, links = write_synthetic_traffic(out)
    return list(zip(feeds, ([speeds], [locations], [links]))), True


def run_airflow(args: list[str], env: dict[str, str], log_file: Path) -> None:
    """Run the `airflow` CLI, showing progress lines, keeping the whole output in `log_file`."""
    _run_logged([airflow_executable(), *args], f"airflow {' '.join(args)}", PROGRESS, env, log_file)


def _run_logged(command: list[str], name: str, progress: re.Pattern[str], env: dict[str, str], log_file: Path) -> None:
    """Run a command, showing the lines that match `progress`, keeping the whole output in `log_file`."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    failed = False
    with (
        log_file.open("a") as log,
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc,
    ):
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            if "state=failed" in line:
                failed = True
            if progress.search(line):
                print("   ", _shorten(line), flush=True)
    if proc.returncode != 0 or failed:
        raise DemoError(f"`{name}` failed (exit {proc.returncode}); full log: {log_file}")


def _shorten(line: str) -> str:
    """A structlog line without its timestamp and location noise."""
    finished = re.search(r"DagRun Finished: dag_id=([\w-]+).*?run_duration=([\d.]+), state=(\w+)", line)
    if finished:
        dag_id, seconds, state = finished.groups()
        return f"DAG run of {dag_id}: {state} in {float(seconds):.0f} s"
    text = re.sub(r"^\S+Z \[\w+\s*\] ", "", line.strip())
    return re.sub(r"\s+(\[[\w.]+\])?\s*loc=\S+.*$", "", text)[:200]


def _ready_lake(settings: Settings) -> Lake:
    """The demo's lake, created when missing."""
    lake = Lake(settings)
    lake.ensure_exists()
    return lake


def _airflow(settings: Settings, name: str, step: str = "") -> tuple[dict[str, str], Path]:
    """The project's Airflow environment on this lake, its metadata DB migrated and the DAGs parsed; and a log file."""
    print(f"{step} preparing Airflow (metadata on SQLite under var/airflow)".strip(), flush=True)
    env = airflow_environment()
    env["CITYLAKE_LAKE_URI"] = settings.lake_uri
    log_file = PROJECT_ROOT / "var" / "logs" / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.log"
    run_airflow(["db", "migrate"], env, log_file)
    run_airflow(["dags", "reserialize"], env, log_file)
    return env, log_file


def _run_dags(
    dag_ids: Sequence[str | tuple[str, dict[str, Any]]], env: dict[str, str], log_file: Path, first_step: int, steps: int
) -> None:
    """Run each DAG once through `airflow dags test`, in order; a (dag id, conf) pair runs with that conf."""
    for step, item in enumerate(dag_ids, start=first_step):
        dag_id, conf = item if isinstance(item, tuple) else (item, {})
        print(f"{step}/{steps} airflow dags test {dag_id}{' ' + json.dumps(conf) if conf else ''}", flush=True)
        run_airflow(["dags", "test", dag_id, *(["-c", json.dumps(conf)] if conf else [])], env, log_file)


def _warn_synthetic(missing: str) -> None:
    print(
        f"!! {missing}\n!! Running on SYNTHETIC data from the project's seeded generator: the numbers below are not real.",
        flush=True,
    )


def _closing(summary: str, queries: Sequence[str], log_file: Path, started: float, synthetic: bool) -> str:
    """The summary, how to query the marts, where the log is, how long it took."""
    how = "\n".join(
        [
            "",
            "Query the marts (DuckDB over the Delta tables, offline):",
            *(f"  .venv/bin/citylake {q}" for q in queries),
            f"Full Airflow log of this demo: {log_file}",
            f"Done in {time.monotonic() - started:.0f} s.",
        ]
    )
    return ("SYNTHETIC DATA — " if synthetic else "") + summary + "\n" + how


def run_demo(settings: Settings) -> str:
    """Deliver, ingest + validate + cleanse, build the marts (real Airflow DAG runs) and return the summary."""
    started = time.monotonic()
    lake = _ready_lake(settings)
    files, synthetic = air_files(settings)
    if synthetic:
        _warn_synthetic(
            f"No Beijing air-quality files under {settings.data_dir} ({', '.join(air_feed().data_files)})"
            " (set CITYLAKE_DATA_DIR to the folder that holds air/beijing/)."
        )
    print(f"1/4 delivering {len(files)} file(s) to {lake.layout.landing_dir(air_feed().name)}", flush=True)
    deliver(lake, air_feed(), files)
    env, log_file = _airflow(settings, "demo", "2/4")
    _run_dags(DAGS, env, log_file, 3, 4)
    summary = summary_text(settings, chart=PROJECT_ROOT / "var" / "reports" / "air_aqi_monthly.png")
    queries = ["tables", 'query "SELECT station, avg(aqi) AS mean_aqi FROM air_aqi_daily GROUP BY station ORDER BY 2 DESC"']
    return _closing(summary, queries, log_file, started, synthetic)


def run_traffic_demo(settings: Settings) -> str:
    """The traffic feeds, the curated readings, model training and scoring: six real Airflow DAG runs."""
    started = time.monotonic()
    lake = _ready_lake(settings)
    files, synthetic = traffic_files(settings)
    if synthetic:
        _warn_synthetic(f"No METR-LA files under {settings.data_dir} (traffic/metr-la/; set CITYLAKE_DATA_DIR).")
    print(f"1/8 delivering {sum(len(p) for _, p in files)} file(s) to the traffic feeds' landing folders", flush=True)
    for feed, paths in files:
        deliver(lake, feed, paths)
    env, log_file = _airflow(settings, "demo-traffic", "2/8")
    feed_dags = [FeedDag.of(feed).dag_id for feed, _ in files]
    _run_dags([*feed_dags, "traffic_readings_curate", "traffic_model_training", "traffic_forecast_scoring"], env, log_file, 3, 8)
    queries = [
        'query "SELECT horizon_min, model, round(mae, 2) AS mae, rank FROM model_leaderboard ORDER BY 1, 4"',
        "query \"SELECT sensor_id, count(*) AS severe FROM congestion_alerts WHERE severity = 'severe' GROUP BY 1 ORDER BY 2 DESC LIMIT 5\"",
    ]
    return _closing(traffic_pipeline.results_text(settings), queries, log_file, started, synthetic)


def run_safety_demo(settings: Settings, cases: int = 200_000) -> str:
    """SYNTHETIC police sources and the real Chicago assaults through their feeds, then rules and hotspots."""
    from pipelines.domains.public_safety import pipeline as safety_pipeline
    from pipelines.domains.public_safety.synthetic import write_many_cases

    started = time.monotonic()
    lake = _ready_lake(settings)
    print(f"1/9 generating {cases:,} SYNTHETIC cases with persons, vehicles, hotel stays and flights (planted rules)", flush=True)
    feeds = safety_pipeline.case_feeds()
    for path in write_many_cases(cases, PROJECT_ROOT / "var" / "synthetic" / "police"):
        feed = next(f for f in feeds if path.match(f.landing_pattern))
        deliver(lake, feed, [path])
    chicago = get_source("chicago_assaults")
    chicago_files = feed_files(settings, chicago)
    if chicago_files:
        deliver(lake, chicago, chicago_files)
    else:
        _warn_synthetic(f"No Chicago assaults under {settings.data_dir}: the hotspots step is skipped.")
    env, log_file = _airflow(settings, "demo-safety")
    env["CITYLAKE_PSEUDONYM_KEY"] = local_pseudonym_key(settings)
    dags = [f"police_{f.name}_clean" for f in feeds] + ["public_safety_rules"]
    if chicago_files:
        dags += ["police_chicago_assaults_clean", "public_safety_hotspots"]
    _run_dags(dags, env, log_file, 2, len(dags) + 1)
    queries = [
        'query "SELECT antecedent, consequent, count, round(confidence, 2) AS conf, round(lift, 2) AS lift '
        'FROM crime_rules ORDER BY lift DESC LIMIT 10"'
    ]
    origin = (
        "The rules are mined from SYNTHETIC police sources (no public copy exists; the generator plants known rules);"
        " the hotspots come from the real Chicago assaults.\n\n"
    )
    return _closing(origin + safety_pipeline.results_text(settings), queries, log_file, started, synthetic=False)


def replay_window(lake: Lake, days: int) -> tuple[pd.Timestamp, int]:
    """The replay's first hour and its length: the last `days` days of the hourly AQI, ending at its last hour."""
    last = lake.read(AIR_AQI_HOURLY, columns=["ts_utc"])["ts_utc"].max()
    hours = 24 * days
    return last - pd.Timedelta(hours=hours - 1), hours


def _replay(dag_id: str, start: pd.Timestamp, hours: int, env: dict[str, str], log_file: Path, progress: re.Pattern[str]) -> None:
    command = [sys.executable, "-m", "pipelines.orchestration.replay", dag_id, "--start", start.isoformat()]
    command += ["--hours", str(hours), "--conf", json.dumps({"forecast": REPLAY_FORECAST})]
    _run_logged(command, f"replay of {dag_id}", progress, env, log_file)


def run_forecast_demo(settings: Settings, days: int = 3) -> str:
    """Air quality a day ahead, replayed hour by hour over the last `days` days of the data: the models trained on
    what was known before, then one scoring run per hour (real DAG runs at those logical dates), each scoring the
    earlier forecasts live, letting the champion rule switch or retrain, and forecasting and warning again."""
    started = time.monotonic()
    lake = _ready_lake(settings)
    env, log_file = _airflow(settings, "demo-forecast", "1/4")
    synthetic = False
    if not lake.has(AIR_AQI_HOURLY):
        files, synthetic = air_files(settings)
        if synthetic:
            _warn_synthetic(f"No Beijing air-quality files under {settings.data_dir} (set CITYLAKE_DATA_DIR).")
        print(f"    no hourly AQI in the lake yet: delivering {len(files)} file(s) and building the marts", flush=True)
        deliver(lake, air_feed(), files)
        _run_dags(DAGS, env, log_file, 1, len(DAGS))
    start, hours = replay_window(lake, days)
    print(f"2/4 training every candidate on the hours up to {start:%Y-%m-%d %H:%M}Z (environment_aqi_forecast_training)")
    _replay("environment_aqi_forecast_training", start, 1, env, log_file, PROGRESS)
    print(f"3/4 replaying {hours} hours from {start:%Y-%m-%d %H:%M}Z: one environment_aqi_forecast_scoring run per hour")
    _replay("environment_aqi_forecast_scoring", start, hours, env, log_file, REPLAY_PROGRESS)
    local_days = sorted({d for d in pd.date_range(start, periods=hours, freq="1h").tz_convert(forecast_jobs.TIMEZONE).date})
    summary = replay_text(lake, forecast_jobs.LOOP.name, forecast_jobs.MEASURE, start, local_days)
    warnings = lake.read(AIR_POLLUTION_WARNINGS) if lake.has(AIR_POLLUTION_WARNINGS) else pd.DataFrame()
    if len(warnings):
        warnings = warnings[warnings["origin_ts_utc"] >= start]
        by_kind = warnings.groupby("severity").size().to_dict()
        summary += f"\n\nHeavy-pollution warnings raised during the replay: {len(warnings)} {by_kind}"
    queries = [
        'query "SELECT decided_at_utc, kind, horizon_min, champion, challenger FROM model_changes ORDER BY 1"',
        'query "SELECT model, horizon_min, round(live_mae, 1) AS live, round(mae, 1) AS backtest, champion_now '
        "FROM model_leaderboard WHERE domain = 'environment' ORDER BY train_until_utc DESC, horizon_min, live_mae LIMIT 16\"",
    ]
    return _closing(f"4/4 replay done.\n{summary}", queries, log_file, started, synthetic)


ENERGY_FEEDS = ("household_power", "pipe_flow", "utilities_monthly")  # real files, when the data directory has them
ENERGY_MART_DAGS = (
    "energy_load_marts",
    "energy_water_marts",
    "energy_shifting_marts",
    "energy_links_marts",
    "environment_noise_water_marts",
)


BUILDINGS_START, BUILDINGS_DAYS = "2024-07-01", 14


def _load_forecast_runs() -> list[tuple[str, dict[str, str]]]:
    """Train on the days before the portfolio's last, forecast that day and plan it, then (as of the end of the data)
    score that forecast live and forecast the day after: the day-ahead loop, one day of it."""
    last_day = pd.Timestamp(BUILDINGS_START) + pd.Timedelta(days=BUILDINGS_DAYS - 1)
    zone = local_timezone("building_meter_readings")
    before = last_day.tz_localize(zone).tz_convert("UTC").isoformat()
    after = (last_day + pd.Timedelta(days=1)).tz_localize(zone).tz_convert("UTC").isoformat()
    return [
        ("energy_load_forecast_training", {"as_of": before}),
        ("energy_load_forecast_scoring", {"as_of": before}),
        ("energy_load_forecast_scoring", {"as_of": after}),
    ]


def run_energy_demo(settings: Settings) -> str:
    """Energy and environment beyond PM2.5: the real household, pipe and bills, SYNTHETIC building meters, noise
    sensors and water-quality stations, through their clean DAGs and the marts' DAGs."""
    from pipelines.domains.energy import report as energy_report
    from pipelines.domains.energy.synthetic import write_building_meters
    from pipelines.domains.environment import monitoring
    from pipelines.domains.environment.synthetic_monitors import write_noise_file, write_water_quality_file

    started = time.monotonic()
    lake = _ready_lake(settings)
    out = PROJECT_ROOT / "var" / "synthetic" / "energy"
    delivered: list[FeedSpec] = []
    for name in ENERGY_FEEDS:
        feed = get_source(name)
        files = feed_files(settings, feed)
        if files:
            deliver(lake, feed, files)
            delivered.append(feed)
        else:
            _warn_synthetic(f"No {', '.join(feed.data_files)} under {settings.data_dir}: the {name} feed is left out.")
    synthetic = {
        "building_meters": write_building_meters(out, buildings=50, start=BUILDINGS_START, days=BUILDINGS_DAYS),
        "noise_sensors": write_noise_file(out, dt.date(2024, 6, 1), 28)[0],
        "water_quality_stations": write_water_quality_file(out, dt.date(2024, 6, 1), 28)[0],
    }
    for name, path in synthetic.items():
        feed = get_source(name)
        deliver(lake, feed, [path])
        delivered.append(feed)
    print(
        f"1/{len(delivered) + len(ENERGY_MART_DAGS) + len(_load_forecast_runs()) + 2} delivered {len(delivered)} feeds' files"
        " (the building meters, noise sensors and water-quality stations are SYNTHETIC: no public copy exists)",
        flush=True,
    )
    env, log_file = _airflow(settings, "demo-energy")
    dags: list[str | tuple[str, dict[str, str]]] = [FeedDag.of(feed).dag_id for feed in delivered]
    dags += [*ENERGY_MART_DAGS, *_load_forecast_runs()]
    _run_dags(dags, env, log_file, 2, len(dags) + 2)
    summary = energy_report.results_text(settings) + "\n" + monitoring.results_text(settings)
    queries = [
        'query "SELECT local_date, group_peak_before_kw, group_peak_after_kw FROM energy_load_shifting GROUP BY ALL ORDER BY 1"',
        'query "SELECT utility, hour(target_ts_utc) AS hour_utc, sum(predicted) AS kw FROM energy_load_forecast '
        "WHERE is_champion AND dataset = 'building_meter_readings' GROUP BY ALL ORDER BY 1, 2\"",
        'query "SELECT sensor_id, period, count(*) FILTER (WHERE exceeded) AS exceeded FROM noise_exceedances GROUP BY ALL"',
    ]
    origin = "SYNTHETIC building meters, noise sensors and water-quality stations; real household, pipe and bills.\n\n"
    return _closing(origin + summary, queries, log_file, started, synthetic=False)


URBAN_FEEDS = ("city_management_system", "citizen_hotline")


def run_urban_demo(settings: Settings) -> str:
    """Urban management: SYNTHETIC city-management cases over the real Chicago community areas, through both
    channels' clean DAGs and the urban marts' DAG; the planted hotspots, the slow department, the recurring problems."""
    from pipelines.cleanse.geo import read_districts
    from pipelines.domains.urban import report as urban_report
    from pipelines.domains.urban import synthetic

    started = time.monotonic()
    areas = settings.data_dir / "urban" / "chicago_community_areas.geojson"
    if not areas.exists():
        raise DemoError(
            f"no community areas at {areas}: the urban demo places its SYNTHETIC cases in real areas and its feeds "
            "geo-reference them there (set CITYLAKE_DATA_DIR to the folder that holds urban/; README says where the "
            "file comes from)"
        )
    lake = _ready_lake(settings)
    cases, truth = synthetic.urban_cases(read_districts(areas, "COMMUNITY"))
    files = synthetic.write_urban_files(cases, PROJECT_ROOT / "var" / "synthetic" / "urban")
    for name, path in zip(URBAN_FEEDS, files):
        deliver(lake, get_source(name), [path])
    dags = [f"urban_{name}_clean" for name in URBAN_FEEDS] + ["urban_marts"]
    print(
        f"1/{len(dags) + 2} delivered {len(cases):,} SYNTHETIC cases (12 weeks, {len(truth.hotspots)} planted hotspots,"
        f" {len(truth.recurring)} recurring problems, a slow department) as the system's CSV and the hotline's JSON lines",
        flush=True,
    )
    env, log_file = _airflow(settings, "demo-urban", f"2/{len(dags) + 2}")
    _run_dags(dags, env, log_file, 3, len(dags) + 2)
    queries = [
        'query "SELECT department, sum(on_time) / sum(judged) AS on_time_rate FROM urban_kpis GROUP BY ALL ORDER BY 2"',
        'query "SELECT week_start, peak_cell, district, cases, peak_gi_z FROM urban_hotspots ORDER BY week_start"',
    ]
    return _closing(urban_report.results_text(settings, truth), queries, log_file, started, synthetic=True)


EMERGENCY_FEEDS = ("dispatch_calls", "sensor_alarms", "social_posts")


def run_emergency_demo(settings: Settings) -> str:
    """Emergency command: SYNTHETIC calls, sensor alarms and social posts with known truth, and Tempe's real overdose
    calls, through their clean DAGs and the fusion DAG; how well the fused incidents match the truth."""
    from pipelines.domains.emergency import report as emergency_report
    from pipelines.domains.emergency import synthetic

    started = time.monotonic()
    lake = _ready_lake(settings)
    reports = synthetic.reports_with_truth()
    files = synthetic.write_report_files(reports, PROJECT_ROOT / "var" / "synthetic" / "emergency")
    delivered = [*EMERGENCY_FEEDS, "unit_positions"]
    for name in EMERGENCY_FEEDS:
        deliver(lake, get_source(name), [files[name]])
    now = reports["ts_utc"].max() + pd.Timedelta(minutes=1)  # the fleet's latest ping: the resources are as of it
    fleet = synthetic.write_fleet_file(synthetic.fleet_positions(now), files["dispatch_calls"].parent)
    deliver(lake, get_source("unit_positions"), [fleet])
    counts, planted = synthetic.call_volumes_with_surges()
    deliver(lake, get_source("hotline_calls"), [synthetic.write_call_volume_file(counts, files["dispatch_calls"].parent)])
    delivered.append("hotline_calls")
    real_feeds = {
        "tempe_opioid_calls": "Tempe's real calls",
        "call_centre_volumes": "the bank's real call volumes",
        "usgs_earthquakes": "the USGS earthquakes",
    }
    for name, what in real_feeds.items():
        feed = get_source(name)
        found = feed_files(settings, feed)
        if found:
            deliver(lake, feed, found)
            delivered.append(name)
        else:
            _warn_synthetic(f"No {', '.join(feed.data_files)} under {settings.data_dir}: {what} are left out.")
    real, bank_files = "tempe_opioid_calls" in delivered, "call_centre_volumes" in delivered
    dags: list[str | tuple[str, dict[str, Any]]] = [f"emergency_{name}_clean" for name in delivered]
    dags += ["emergency_marts", "emergency_call_marts", *_call_forecast_runs(bank_files)]
    print(
        f"1/{len(dags) + 2} delivered {len(reports):,} SYNTHETIC reports of {reports['incident'].nunique():,} incidents and"
        " false alarms (calls, sensor alarms, social posts: three clocks), SYNTHETIC unit positions, the SYNTHETIC"
        f" hotline's calls per 5 minutes ({len(planted)} planted surges)"
        + (", Tempe's real overdose calls" if real else "")
        + (", a bank's real call-centre volumes" if bank_files else "")
        + (" and a week of USGS earthquakes" if "usgs_earthquakes" in delivered else ""),
        flush=True,
    )
    env, log_file = _airflow(settings, "demo-emergency", f"2/{len(dags) + 2}")
    _run_dags(dags, env, log_file, 3, len(dags) + 2)
    queries = [
        'query "SELECT channels, count(*) AS incidents FROM emergency_incidents GROUP BY ALL ORDER BY 2 DESC"',
        'query "SELECT incident_id, incident_type, first_report_utc, report_ids FROM emergency_incidents WHERE reports > 3"',
        'query "SELECT line_id, detector, count(*) AS surges, max(peak_score) FROM emergency_anomalies GROUP BY ALL"',
        'query "SELECT line_id, target_ts_utc, reason, basis, severity, lead_time_min FROM emergency_warnings ORDER BY 2"',
    ]
    summary = emergency_report.results_text(settings, reports) + "\n" + emergency_report.call_lines(settings, planted)
    return _closing(summary, queries, log_file, started, synthetic=True)


HOTLINE_TRAINED_TO, HOTLINE_SCORED_AT = "2025-05-12T00:00Z", "2025-05-13T01:00Z"  # an evening of the SYNTHETIC hotline
BANK_TRAINED_TO, BANK_SCORED_AT = "2003-10-14T00:00Z", "2003-10-21T21:00Z"  # the bank's largest surge, at its height


def _call_forecast_runs(bank: bool) -> list[tuple[str, dict[str, Any]]]:
    """Train the call forecasters on the weeks before, then forecast and warn from an hour of the SYNTHETIC hotline's
    evening peak, and (with the real file) from the height of the bank's largest surge."""
    runs: list[tuple[str, dict[str, Any]]] = []
    lines = [("hotline-112", HOTLINE_TRAINED_TO, HOTLINE_SCORED_AT)]
    if bank:
        lines.append(("bank-call-centre", BANK_TRAINED_TO, BANK_SCORED_AT))
    for line, trained_to, scored_at in lines:
        conf = {"forecast": {"lines": [line]}}
        runs += [
            ("emergency_calls_forecast_training", {**conf, "as_of": trained_to}),
            ("emergency_calls_forecast_scoring", {**conf, "as_of": scored_at}),
        ]
    return runs


GOV_DAGS = ("egov_city_indicators", "egov_weekly_brief")


def run_gov_demo(settings: Settings) -> str:
    """E-government: the Beijing air, the real COVID-19 tests and SYNTHETIC city-management cases through their clean
    and mart DAGs, then the city's indicators, the weekly brief and the open-data release, all through Airflow; the
    marts other demos built on this lake are read too."""
    from pipelines.cleanse.geo import read_districts
    from pipelines.domains.egov import report as egov_report
    from pipelines.domains.urban import synthetic as urban_synthetic

    started = time.monotonic()
    lake = _ready_lake(settings)
    air, synthetic = air_files(settings)
    if synthetic:
        _warn_synthetic(f"No Beijing air-quality files under {settings.data_dir}: the air indicators are SYNTHETIC.")
    deliver(lake, air_feed(), air)
    dags: list[str | tuple[str, dict[str, Any]]] = list(DAGS)
    delivered = [f"{len(air)} air-quality file(s)"]
    covid = get_source("covid_testing")
    tests = feed_files(settings, covid)
    if tests:
        deliver(lake, covid, tests)
        dags += ["health_covid_testing_clean", ("health_marts", {"epsilon": 1.0})]  # with the private counts
        delivered.append("the real COVID-19 tests")
    else:
        _warn_synthetic(f"No {', '.join(covid.data_files)} under {settings.data_dir}: the health indicators are left out.")
    areas = settings.data_dir / "urban" / "chicago_community_areas.geojson"
    if areas.exists():
        cases, _ = urban_synthetic.urban_cases(read_districts(areas, "COMMUNITY"))
        files = urban_synthetic.write_urban_files(cases, PROJECT_ROOT / "var" / "synthetic" / "urban")
        for name, path in zip(URBAN_FEEDS, files):
            deliver(lake, get_source(name), [path])
        dags += [f"urban_{name}_clean" for name in URBAN_FEEDS] + ["urban_marts"]
        delivered.append(f"{len(cases):,} SYNTHETIC city-management cases")
    else:
        _warn_synthetic(f"No community areas at {areas}: the urban indicators are left out.")
    dags += list(GOV_DAGS)
    steps = len(dags) + 2
    print(f"1/{steps} delivered {', '.join(delivered)}", flush=True)
    env, log_file = _airflow(settings, "demo-gov", f"2/{steps}")
    env["CITYLAKE_PSEUDONYM_KEY"] = local_pseudonym_key(settings)
    _run_dags(dags, env, log_file, 3, steps)
    summary = egov_report.results_text(settings) + "\n" + _copy_brief(lake)
    queries = [
        'query "SELECT name, period, round(value, 1) AS value, unit, light, freshness FROM city_indicators WHERE headline ORDER BY 1"',
        'query "SELECT indicator, source, source_version, source_published_utc, code_version FROM city_indicators GROUP BY ALL"',
    ]
    return _closing(summary, queries, log_file, started, synthetic)


def _copy_brief(lake: Lake) -> str:
    """Copy the newest brief and open-data release out of the lake into var/reports, where a person opens them."""
    out = PROJECT_ROOT / "var" / "reports" / "brief"
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for folder, names in (
        (lake.layout.reports_dir("weekly_brief"), ("brief.html", "brief.pdf")),
        (lake.layout.open_data_dir("city_indicators"), ("city_indicators.csv", "LICENSE.txt")),
    ):
        editions = sorted({path.rsplit("/", 2)[-2] for path in lake.glob(f"{folder}/*/*")})
        if not editions:
            lines.append(f"Nothing under {folder}: the egov_weekly_brief DAG did not run.")
            continue
        for name in names:
            target = out / name
            target.write_bytes(lake.read_bytes(f"{folder}/{editions[-1]}/{name}"))
            lines.append(f"{name} ({editions[-1]}): {target}")
    return "The weekly brief and the open data (also on the lake page, /citylake/lake):\n" + "\n".join(
        f"  {line}" for line in lines
    )
