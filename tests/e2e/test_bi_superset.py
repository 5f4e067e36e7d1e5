"""Superset, the BI client, driven in headless Chromium: the City situation dashboard shows the lake's marts, and
SQL Lab reads the lake and nothing else.

A lake gets air-quality marts from the real pipeline (two Beijing stations, six weeks) and small traffic and
public-safety marts written with their declared schemas; `superset.up` installs (once), provisions from the
versioned assets and starts Superset on a free port. The browser logs in, opens the dashboard, and every chart's
data, as the dashboard fetched it, is compared with a DuckDB query of the same mart. Screenshots go to
var/test-artifacts/bi/.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from pipelines.bi import superset
from pipelines.bi.sql import query
from pipelines.config import Settings, load_settings
from pipelines.lake.catalog import catalog, clean_dataset
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake
from pipelines.platform import free_port
from pipelines.processes import alive
from tests.conftest import DATA_DIR, air_marts_lake, through_feed
from tests.e2e.browser import ARTIFACTS, browser_page, require_chromium, screenshot

pytestmark = pytest.mark.slow
SHOTS = ARTIFACTS / "bi"
VIEWPORT = {"width": 1600, "height": 1000}


def declared(name: str, records: list[dict]) -> pd.DataFrame:
    table = catalog()[(Zone.CURATED, name)]
    return pd.concat([table.arrow_schema.empty_table().to_pandas(), pd.DataFrame(records)], ignore_index=True)[table.names]


def traffic_and_safety_marts(lake: Lake) -> None:
    """Two scoring runs of forecasts and alerts (the dashboard shows the latest), two years of hotspots."""
    forecasts, alerts = [], []
    for origin in (pd.Timestamp("2012-06-03 07:00", tz="UTC"), pd.Timestamp("2012-06-04 07:00", tz="UTC")):
        for sensor, base in (("717447", 60.0), ("717490", 40.0)):
            for step in range(1, 5):
                target = origin + pd.Timedelta(minutes=15 * step)
                forecasts.append(
                    {
                        "origin_date": origin.date(),
                        "measure": "speed_kmh",
                        "sensor_id": sensor,
                        "unit": "km/h",
                        "origin_ts_utc": origin,
                        "target_ts_utc": target,
                        "horizon_min": 15 * step,
                        "model": "gradient_boosting",
                        "predicted": base - step - origin.day,
                        "usual": base,
                        "actual": base - 2 * step,
                        "training_id": "t1",
                    }
                )
        alerts.append(
            {
                "origin_date": origin.date(),
                "measure": "speed_kmh",
                "sensor_id": "717490",
                "unit": "km/h",
                "target_ts_utc": origin + pd.Timedelta("30min"),
                "origin_ts_utc": origin,
                "lead_time_min": 30,
                "predicted": 31.0,
                "usual": 40.0,
                "threshold": 32.0,
                "drop_pct": 22.5,
                "rule": "speed below 80 % of usual",
                "severity": "warning",
                "model": "gradient_boosting",
                "training_id": "t1",
            }
        )
    lake.publish(catalog()[(Zone.CURATED, "traffic_forecast")], declared("traffic_forecast", forecasts), None, "r", "f")
    lake.publish(catalog()[(Zone.CURATED, "congestion_alerts")], declared("congestion_alerts", alerts), None, "r", "a")
    hotspots = [
        {
            "period": period,
            "district": district,
            "weekday": weekday,
            "hour": 20,
            "incidents": incidents + weekday,
            "previous_incidents": None,
            "change_pct": None,
            "suppressed": False,
            "granularity": "year",
            "run_id": "r",
        }
        for period, scale in (("2018", 1), ("2019", 2))
        for district, incidents in (("1", 10 * scale), ("7", 4 * scale), ("11", 7 * scale))
        for weekday in range(3)
    ]
    lake.publish(catalog()[(Zone.CURATED, "crime_hotspots")], declared("crime_hotspots", hotspots), None, "r", "h")
    live_and_changes(lake)


def live_and_changes(lake: Lake) -> None:
    """Three days of live scores of three models at one horizon, and one champion switch."""
    scores = [
        {
            "domain": "traffic",
            "measure": "speed_kmh",
            "unit": "km/h",
            "training_id": "t1",
            "model": model,
            "horizon_min": 15,
            "day": dt.date(2012, 6, 1) + dt.timedelta(days=d),
            "mae": mae + d / 10,
            "rmse": mae + 1 + d / 10,
            "bias": 0.5,
            "coverage_pct": 88.0 + d,
            "points": 1000 + d,
            "is_champion": model == "gradient_boosting",
            "run_id": "r",
        }
        for d in range(3)
        for model, mae in (("gradient_boosting", 3.0), ("linear_ridge", 2.5), ("last_value", 4.0))
    ]
    lake.publish(catalog()[(Zone.CURATED, "model_live_scores")], declared("model_live_scores", scores), None, "r", "l")
    change = {
        "domain": "traffic",
        "measure": "speed_kmh",
        "training_id": "t1",
        "horizon_min": 15,
        "kind": "switch",
        "champion": "gradient_boosting",
        "challenger": "linear_ridge",
        "champion_live_mae": 3.1,
        "challenger_live_mae": 2.6,
        "backtest_mae": 2.9,
        "window_from": dt.date(2012, 6, 1),
        "window_to": dt.date(2012, 6, 3),
        "champion_points": 3003,
        "challenger_points": 3003,
        "margin_pct": 5.0,
        "drift_factor": 1.5,
        "decided_at_utc": pd.Timestamp("2012-06-03 23:00", tz="UTC"),
        "run_id": "r",
    }
    lake.publish(catalog()[(Zone.CURATED, "model_changes")], declared("model_changes", [change]), None, "r", "c")


def air_forecasts(lake: Lake) -> None:
    """Two hourly runs of AQI forecasts (champion and persistence, four horizons), their warnings, and three days of
    live scores of the environment domain, later than traffic's (each domain's last days are its own)."""
    forecasts, warnings = [], []
    for run, origin in enumerate((pd.Timestamp("2013-04-11 14:00", tz="UTC"), pd.Timestamp("2013-04-11 15:00", tz="UTC"))):
        for station, base in (("Dingling", 150.0), ("Huairou", 90.0)):
            for hours in (1, 6, 12, 24):
                for model in ("gradient_boosting", "persistence"):
                    predicted = base + 10 * run + 3 * hours + (model == "persistence")
                    forecasts.append(
                        {
                            "origin_date": (origin + pd.Timedelta(hours=8)).date(),
                            "station": station,
                            "origin_ts_utc": origin,
                            "target_ts_utc": origin + pd.Timedelta(hours=hours),
                            "horizon_min": 60 * hours,
                            "model": model,
                            "predicted": predicted,
                            "lower": predicted - 20,
                            "upper": predicted + 40,
                            "is_champion": model == "gradient_boosting",
                            "training_id": "a1",
                        }
                    )
                    if model == "gradient_boosting" and predicted + 40 >= 201:
                        warnings.append(
                            {
                                **{k: forecasts[-1][k] for k in ("origin_date", "station", "origin_ts_utc", "target_ts_utc")},
                                "lead_time_min": 60 * hours,
                                "predicted": predicted,
                                "upper": predicted + 40,
                                "threshold": 201,
                                "severity": "heavy" if predicted >= 201 else "watch",
                                "basis": "point" if predicted >= 201 else "interval",
                                "model": model,
                                "training_id": "a1",
                            }
                        )
    lake.publish(catalog()[(Zone.CURATED, "air_aqi_forecast")], declared("air_aqi_forecast", forecasts), None, "r", "af")
    lake.publish(
        catalog()[(Zone.CURATED, "air_pollution_warnings")], declared("air_pollution_warnings", warnings), None, "r", "aw"
    )
    scores = [
        {
            "domain": "environment",
            "measure": "aqi",
            "unit": "AQI",
            "training_id": "a1",
            "model": model,
            "horizon_min": 360,
            "day": dt.date(2013, 4, 9) + dt.timedelta(days=d),
            "mae": mae + d,
            "rmse": mae + 5,
            "bias": -1.0,
            "coverage_pct": 91.0,
            "points": 48,
            "is_champion": model == "gradient_boosting",
            "run_id": "r",
        }
        for d in range(3)
        for model, mae in (("gradient_boosting", 20.0), ("persistence", 31.0))
    ]
    earlier = lake.read(catalog()[(Zone.CURATED, "model_live_scores")])
    rows = pd.concat([earlier, declared("model_live_scores", scores)], ignore_index=True)
    lake.publish(catalog()[(Zone.CURATED, "model_live_scores")], rows, None, "r", "le")


def energy_and_environment_marts(settings: Settings, client, folder: Path) -> None:
    """The real pipe and SYNTHETIC building meters, noise sensors, water stations, city-management cases, emergency
    reports and hotline calls through their feeds and marts."""
    from pipelines.cleanse.geo import read_districts
    from pipelines.domains.energy import portfolio, synthetic, water
    from pipelines.domains.environment import monitoring, synthetic_monitors
    from pipelines.domains.urban import marts as urban_marts
    from pipelines.domains.urban import synthetic as urban_synthetic

    files = {
        "pipe_flow": DATA_DIR / "energy" / "water_flow.csv",
        "building_meters": synthetic.write_building_meters(folder, buildings=6, start="2024-07-01", days=3),
        "noise_sensors": synthetic_monitors.write_noise_file(folder, dt.date(2024, 6, 1), 14)[0],
        "water_quality_stations": synthetic_monitors.write_water_quality_file(folder, dt.date(2024, 6, 1), 14)[0],
    }
    for name, path in files.items():
        through_feed(settings, client, name, [path], run_id="bi")
    water.build(settings, "bi")
    portfolio.build(settings, "bi", portfolio.ShiftParams(last_days=3))
    # tomorrow's plan from a forecast of the same hours yesterday (the chart reads the mart, whoever forecast it)
    readings = Lake(settings).read(clean_dataset("building_meter_readings"), columns=["building_id", "ts_utc", "electricity_kw"])
    hours = (
        readings.assign(hour=readings["ts_utc"].dt.floor("1h"))
        .groupby(["building_id", "hour"], as_index=False)["electricity_kw"]
        .mean()
    )
    last_day = hours[hours["hour"] >= hours["hour"].max() - pd.Timedelta(hours=23)]
    forecast = pd.DataFrame(
        {
            "meter_id": last_day["building_id"],
            "target_ts_utc": last_day["hour"] + pd.Timedelta(days=1),
            "predicted": last_day["electricity_kw"],
        }
    )
    portfolio.plan_day_ahead(settings, "bi", forecast, portfolio.ShiftParams(), "Asia/Shanghai")
    monitoring.build(settings, "bi")
    areas = read_districts(DATA_DIR / "urban" / "chicago_community_areas.geojson", "COMMUNITY")
    cases, _ = urban_synthetic.urban_cases(areas, weeks=2, per_week=300, hotspots=2, recurring=1, seed=1)
    for name, path in zip(("city_management_system", "citizen_hotline"), urban_synthetic.write_urban_files(cases, folder)):
        through_feed(settings, client, name, [path], run_id="bi")
    urban_marts.build(settings, "bi")
    emergency_marts(settings, client, folder)


def emergency_marts(settings: Settings, client, folder: Path) -> None:
    """SYNTHETIC reports fused into incidents; the SYNTHETIC hotline's surges, forecasts and warnings (an evening at
    the 240 calls an hour staffed)."""
    from pipelines.domains.emergency import call_forecasting, call_marts, incidents
    from pipelines.domains.emergency import synthetic as emergency_synthetic

    reports = emergency_synthetic.reports_with_truth(incidents=60, days=2, false_alarms=5, seed=2)
    report_files = emergency_synthetic.write_report_files(reports, folder)
    for name in ("dispatch_calls", "sensor_alarms", "social_posts"):
        through_feed(settings, client, name, [report_files[name]], run_id="bi")
    incidents.build(settings, "bi")
    counts, _ = emergency_synthetic.call_volumes_with_surges(seed=7)
    through_feed(settings, client, "hotline_calls", [emergency_synthetic.write_call_volume_file(counts, folder)], run_id="bi")
    call_marts.build(settings, "bi")
    params = call_forecasting.CallForecastParams(capacity_per_hour={"hotline-112": 240.0})
    call_forecasting.train(settings, "bi", client, params, "2025-05-12T00:00Z")
    call_forecasting.score(settings, "bi", client, params, "2025-05-13T01:00Z")


def health_and_indicators(settings: Settings, client) -> None:
    """The real COVID-19 tests through their feed and the health marts; then the city's indicators from every mart."""
    from pipelines.domains.egov import marts as egov_marts
    from pipelines.domains.health import marts as health_marts

    through_feed(settings, client, "covid_testing", [DATA_DIR / "health" / "covid_testing.csv.gz"], run_id="bi")
    health_marts.build(settings, "bi")
    egov_marts.build(settings, "bi")


@pytest.fixture(scope="module")
def bi(tmp_path_factory: pytest.TempPathFactory, dask_client) -> Iterator[tuple[superset.SupersetConfig, Settings]]:
    require_chromium()
    home = tmp_path_factory.mktemp("bi")
    settings = load_settings(lake_uri=str(home / "lake"), data_dir=DATA_DIR, pseudonym_key="test-key-not-a-secret")
    lake = air_marts_lake(settings, ("Dingling", "Huairou"), 24 * 42, dask_client)
    traffic_and_safety_marts(lake)
    air_forecasts(lake)
    energy_and_environment_marts(settings, dask_client, home / "synthetic")
    health_and_indicators(settings, dask_client)
    config = superset.SupersetConfig(home=home / "superset", port=free_port())
    started = superset.up(settings, config)
    try:
        yield config, settings
    finally:
        assert superset.down(config) == ["superset"]
        assert not alive(started)


@pytest.fixture(scope="module")
def page(bi) -> Iterator["playwright.sync_api.Page"]:  # noqa: F821
    config, _ = bi
    with browser_page(config.url, VIEWPORT) as page:
        log_in(page, config)
        yield page


def log_in(page, config: superset.SupersetConfig, attempts: int = 3) -> None:
    """Log in through the login page as a person would. Superset's login page is a React app: a form filled before
    it has finished loading can be sent empty and answered with the login page again (a CI run saw this once
    under load), so the page is loaded to the end first and a failed attempt is retried, then reported with
    what the page said and the tail of Superset's log."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(attempts):
        page.goto("/login/", wait_until="networkidle")
        page.get_by_label("Username").fill(config.admin)
        page.get_by_label("Password").fill(superset.admin_password(config))
        page.get_by_role("button", name=re.compile("sign in", re.IGNORECASE)).click()
        try:
            page.wait_for_url("**/superset/welcome/**", timeout=30_000)
            return
        except PlaywrightTimeout:
            continue
    log = config.home / "logs" / "superset.log"
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:]) if log.exists() else "(no log)"
    raise AssertionError(
        f"login failed {attempts} times; the page ended at {page.url} saying:\n{page.inner_text('body')[:500]}\n{tail}"
    )


def one(settings: Settings, sql: str) -> list[tuple]:
    return [tuple(row) for row in query(settings, sql).itertuples(index=False)]


LATEST_DAY = "local_date = (SELECT max(local_date) FROM air_aqi_daily)"
LATEST_MONTH = "local_date > (SELECT max(local_date) FROM air_aqi_daily) - INTERVAL 31 DAY"


def expected(settings: Settings) -> dict[str, object]:
    """What each chart must show, straight from DuckDB over the same marts."""
    latest_forecast = (
        "origin_date = (SELECT max(origin_date) FROM traffic_forecast) AND measure LIKE 'speed%' AND coalesce(is_champion, true)"
    )
    return {
        "Stations reporting, latest day": one(settings, f"SELECT count(DISTINCT station) FROM air_aqi_daily WHERE {LATEST_DAY}"),
        "Air quality today, by station": sorted(
            one(settings, f"SELECT station, aqi FROM air_aqi_daily WHERE {LATEST_DAY}"), key=lambda r: r[0]
        ),
        "AQI over the last month": sorted(
            one(settings, f"SELECT aqi FROM air_aqi_daily WHERE {LATEST_MONTH} AND aqi IS NOT NULL"), key=lambda r: r[0]
        ),
        "Pollution episodes, worst first": one(
            settings, "SELECT peak_aqi FROM air_pollution_episodes ORDER BY peak_aqi DESC LIMIT 20"
        ),
        "Speed forecast vs usual, latest run": one(
            settings,
            f"SELECT round(avg(predicted), 6), round(avg(usual), 6), round(avg(actual), 6) FROM traffic_forecast"
            f" WHERE {latest_forecast} GROUP BY target_ts_utc ORDER BY target_ts_utc",
        ),
        "Congestion alerts, latest run": one(
            settings,
            "SELECT sensor_id, predicted, severity FROM congestion_alerts"
            " WHERE origin_date = (SELECT max(origin_date) FROM congestion_alerts)",
        ),
        "Crime hotspots, latest year": sorted(
            one(
                settings,
                "SELECT district, sum(incidents) FROM crime_hotspots WHERE granularity = 'year'"
                " AND period = (SELECT max(period) FROM crime_hotspots) GROUP BY district",
            )
        ),
        "Crime trend by year": one(
            settings, "SELECT period, sum(incidents) FROM crime_hotspots WHERE granularity = 'year' GROUP BY 1 ORDER BY 1"
        ),
        "Live model error, last 3 days": sorted(
            one(
                settings,
                "SELECT domain, model, round(sum(mae * points) / sum(points), 6) FROM model_live_scores s WHERE day >"
                " (SELECT max(day) FROM model_live_scores m WHERE m.domain = s.domain) - INTERVAL 3 DAY GROUP BY ALL",
            )
        ),
        "AQI a day ahead, latest forecast": sorted(
            one(
                settings,
                "SELECT station, predicted FROM air_aqi_forecast WHERE is_champion"
                " AND origin_ts_utc = (SELECT max(origin_ts_utc) FROM air_aqi_forecast)",
            )
        ),
        "Peak shaving by shifting load": one(
            settings,
            "SELECT max(group_peak_before_kw), max(group_peak_after_kw) FROM energy_load_shifting GROUP BY local_date ORDER BY local_date",
        ),
        "Tomorrow's load, forecast and planned": [
            (round(a, 3), round(b, 3))
            for a, b in one(
                settings,
                "SELECT sum(fixed_kw + flexible_before_kw), sum(fixed_kw + flexible_after_kw)"
                " FROM energy_load_shifting_day_ahead GROUP BY ts_utc ORDER BY ts_utc",
            )
        ],
        "On-time disposal by department": sorted(
            (d, round(r, 6))
            for d, r in one(settings, "SELECT department, sum(on_time) * 1.0 / sum(judged) FROM urban_kpis GROUP BY department")
        ),
        "Urban hotspots by week": sorted(one(settings, "SELECT peak_cell, cases FROM urban_hotspots")),
        "Emergency incidents by type": sorted(
            one(settings, "SELECT incident_type, count(*) FROM emergency_incidents GROUP BY 1")
        ),
        "Call-volume surges": sorted(
            one(settings, "SELECT line_id, slots, peak_score FROM emergency_anomalies WHERE detector = 'robust'")
        ),
        "Early warnings from the call forecasts": sorted(
            one(settings, "SELECT reason, basis, severity, lead_time_min FROM emergency_warnings")
        ),
        "Water flow anomalies": one(
            settings, "SELECT kind, hours FROM water_flow_anomalies WHERE detector = 'robust' ORDER BY start_utc DESC"
        ),
        "Noise exceedances, last month": sorted(
            one(
                settings,
                "SELECT sensor_id, period, count(*) FILTER (WHERE exceeded) FROM noise_exceedances"
                " WHERE local_date > (SELECT max(local_date) FROM noise_exceedances) - INTERVAL 30 DAY GROUP BY ALL",
            )
        ),
        "Surface water class, latest day": sorted(
            one(
                settings,
                "SELECT station, class_name FROM water_quality_class"
                " WHERE local_date = (SELECT max(local_date) FROM water_quality_class)",
            )
        ),
        "Heavy-pollution warnings, last day": sorted(
            one(
                settings,
                "SELECT station, lead_time_min, severity, basis FROM air_pollution_warnings"
                " WHERE origin_ts_utc > (SELECT max(origin_ts_utc) FROM air_pollution_warnings) - INTERVAL 24 HOUR",
            )
        ),
        "Champion changes and drift": one(settings, "SELECT kind, champion, challenger FROM model_changes"),
        "City indicators, latest": sorted(
            (name, grain, period, figure(value), light, freshness)
            for name, grain, period, value, light, freshness in one(
                settings,
                "SELECT name, grain, period, round(value, 2), light, freshness FROM city_indicators WHERE headline",
            )
        ),
        "Test positivity by pandemic day": [
            (day, figure(tests), figure(positives))
            for day, tests, positives in one(
                settings,
                "SELECT pandemic_day, tests, positives FROM health_testing_daily"
                " WHERE dimension = 'age_band' AND category = 'all' AND pandemic_day IS NOT NULL ORDER BY pandemic_day DESC",
            )
        ],
    }


def figure(value: object) -> float | None:
    """A number as both sides can compare it: None for a missing one (null in Superset's JSON, NaN in pandas)."""
    return None if pd.isna(value) else round(float(value), 6)


def shown(name: str, data: list[dict]) -> object:
    """The same figures, read from the chart data the dashboard fetched."""
    if name == "Stations reporting, latest day":
        return [(data[0]["stations reporting"],)]
    if name == "Air quality today, by station":
        return sorted(((r["station"], r["aqi"]) for r in data), key=lambda r: r[0])
    if name == "AQI over the last month":
        return sorted(((v,) for r in data for k, v in r.items() if k != "local_date" and v is not None), key=lambda r: r[0])
    if name == "Pollution episodes, worst first":
        return [(r["peak_aqi"],) for r in data]
    if name == "Speed forecast vs usual, latest run":
        return [
            (round(r["forecast (mean over sensors)"], 6), round(r["usual for the hour"], 6), round(r["measured"], 6))
            for r in sorted(data, key=lambda r: r["target_ts_utc"])
        ]
    if name == "Congestion alerts, latest run":
        return [(r["sensor_id"], r["predicted"], r["severity"]) for r in data]
    if name == "Crime hotspots, latest year":
        return sorted((r["district"], r["incidents"]) for r in data)
    if name == "Crime trend by year":
        return sorted((r["period"], r["incidents"]) for r in data)
    if name == "Live model error, last 3 days":
        return sorted((r["domain"], r["model"], round(r["live_mae"], 6)) for r in data)
    if name == "AQI a day ahead, latest forecast":
        return sorted((k, v) for r in data for k, v in r.items() if k != "target_ts_utc" and v is not None)
    if name == "Peak shaving by shifting load":
        rows = sorted(data, key=lambda r: r["local_date"])
        return [(r["peak as metered"], r["peak as planned"]) for r in rows]
    if name == "Tomorrow's load, forecast and planned":
        rows = sorted(data, key=lambda r: r["ts_utc"])
        return [(round(r["forecast"], 3), round(r["planned"], 3)) for r in rows]
    if name == "On-time disposal by department":
        return sorted((r["department"], round(r["on-time rate"], 6)) for r in data)
    if name == "Urban hotspots by week":
        return sorted((r["peak_cell"], r["cases"]) for r in data)
    if name == "Emergency incidents by type":
        return sorted((r["incident_type"], r["count"]) for r in data)
    if name == "Call-volume surges":
        return sorted((r["line_id"], r["slots"], r["peak_score"]) for r in data)
    if name == "Early warnings from the call forecasts":
        return sorted((r["reason"], r["basis"], r["severity"], r["lead_time_min"]) for r in data)
    if name == "Water flow anomalies":
        return [(r["kind"], r["hours"]) for r in data]
    if name == "Noise exceedances, last month":
        return sorted((r["sensor_id"], r["period"], r["periods_exceeded"]) for r in data)
    if name == "Surface water class, latest day":
        return sorted((r["station"], r["class_name"]) for r in data)
    if name == "Heavy-pollution warnings, last day":
        return sorted((r["station"], r["lead_time_min"], r["severity"], r["basis"]) for r in data)
    if name == "Champion changes and drift":
        return [(r["kind"], r["champion"], r["challenger"]) for r in data]
    if name == "City indicators, latest":
        return sorted((r["name"], r["grain"], r["period"], figure(r["value"]), r["light"], r["freshness"]) for r in data)
    if name == "Test positivity by pandemic day":
        return [(r["pandemic_day"], figure(r["tests"]), figure(r["positives"])) for r in data]
    raise AssertionError(f"a chart the test does not know: {name}: add what it must show")


def test_the_city_situation_dashboard_shows_every_mart_as_duckdb_reads_it(bi, page) -> None:
    _, settings = bi
    fetched: dict[int, list[dict]] = {}

    def keep(response) -> None:
        if "/api/v1/chart/data" in response.url and response.request.method in ("GET", "POST"):
            form = json.loads(parse_qs(urlparse(response.url).query).get("form_data", ["{}"])[0])
            assert response.status == 200, f"chart {form.get('slice_id')}: {response.text()[:500]}"
            fetched[form["slice_id"]] = response.json()["result"][0]["data"]

    page.on("response", keep)
    page.goto("/superset/dashboard/city-situation/")
    charts = page.request.get("/api/v1/chart/?q=(page_size:100)").json()["result"]
    names = {c["id"]: c["slice_name"] for c in charts}
    page.wait_for_function(f"() => document.querySelectorAll('.chart-container').length >= {len(names)}", timeout=90_000)
    deadline = dt.datetime.now() + dt.timedelta(seconds=90)
    while len(fetched) < len(names) and dt.datetime.now() < deadline:
        page.wait_for_timeout(500)
    page.remove_listener("response", keep)

    want = expected(settings)
    assert sorted(names.values()) == sorted(want)
    for chart_id, name in names.items():
        assert chart_id in fetched, f"the dashboard never asked for {name}"
        assert fetched[chart_id], f"{name} got no rows"
        assert shown(name, fetched[chart_id]) == want[name], name
    assert page.locator(".chart-container .alert-danger, .chart-container .ant-alert-error").count() == 0
    assert page.locator(".chart-container").count() == len(names)  # each chart once, in its place

    def top(text: str) -> float:
        return page.get_by_text(text, exact=True).first.bounding_box()["y"]

    sections = [("Air quality", "Heavy-pollution warnings, last day"), ("Traffic", "Congestion alerts, latest run")]
    sections += [("Energy, water and noise", "Surface water class, latest day")]
    sections += [("Urban management", "Urban hotspots by week")]
    sections += [("Emergency command", "Early warnings from the call forecasts")]
    sections += [("City indicators and health", "Test positivity by pandemic day")]
    sections += [("Model comparison and early warning", "Champion changes and drift"), ("Public safety", "Crime trend by year")]
    tops = [(top(section), top(chart)) for section, chart in sections]
    assert [y for pair in tops for y in pair] == sorted(y for pair in tops for y in pair)  # each chart under its header
    screenshot(
        page,
        SHOTS,
        "1-city-situation",
        "City situation",
        "Air quality",
        "Traffic",
        "Energy, water and noise",
        "Urban management",
        "Emergency command",
        "City indicators and health",
        "Model comparison and early warning",
        "Public safety",
        full_page=True,
    )


def run_in_sql_lab(page, sql: str) -> None:
    editor = page.locator(".ace_editor").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(sql)
    page.keyboard.press("Control+Enter")


def test_sql_lab_reads_the_marts_and_not_the_machines_files(bi, page) -> None:
    from playwright.sync_api import expect

    _, settings = bi
    page.goto("/sqllab/")
    editor, new_tab = page.locator(".ace_editor").first, page.get_by_text("Add a new tab").first
    expect(editor.or_(new_tab)).to_be_visible(timeout=60_000)
    if not editor.is_visible():
        new_tab.click()
    expect(editor).to_be_visible(timeout=60_000)
    (count,) = one(settings, "SELECT count(*) FROM air_aqi_daily")[0]
    run_in_sql_lab(page, "SELECT count(*) AS days_in_the_lake FROM air_aqi_daily")
    expect(page.get_by_text(f"{count}", exact=True).first).to_be_visible(timeout=60_000)
    screenshot(page, SHOTS, "2-sql-lab-reads-a-mart", "days_in_the_lake")

    run_in_sql_lab(page, "SELECT * FROM read_csv('/etc/passwd')")
    refusal = page.get_by_text(re.compile("file system operations are disabled by configuration")).first
    expect(refusal).to_be_visible(timeout=60_000)
    screenshot(page, SHOTS, "3-sql-lab-refuses-etc-passwd")
    run_in_sql_lab(page, "SET lock_configuration = false")
    expect(page.get_by_text(re.compile("(configuration has been locked|not allowed|DML)")).first).to_be_visible(timeout=60_000)
