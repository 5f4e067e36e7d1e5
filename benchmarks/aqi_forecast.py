"""Air quality a day ahead: hourly AQI 1-24 h ahead per station, and the heavy-pollution warning, on the last year.

Runs the real air pipeline on a temporary lake (the Beijing files of the data directory, or, without them, SYNTHETIC ones from the
project's generator, said loudly): ingest, clean and the AQI marts on the Dask cluster. Then every candidate
(persistence, climatology, ridge, gradient boosting) is fitted on the years before the last and forecasts every
station from every hour of the last year (held back). Prints MAE per model and horizon, and the warning's hit
rate and false-alarm ratio (forecast AQI >= 201); the goal: better than persistence at every horizon >= 6 h.

    .venv/bin/python benchmarks/aqi_forecast.py                   # every Beijing station, 4 years, ~5 min on 2 cores
    .venv/bin/python benchmarks/aqi_forecast.py --horizons 6 24   # some horizons only
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import tempfile
import time
from pathlib import Path

from measure import progress_logging  # benchmarks/measure.py

GOAL_FROM_H = 6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--horizons", type=int, nargs="+", default=[1, 3, 6, 12, 24], help="hours ahead (1-24)")
    parser.add_argument("--test-from", default="2016-03-01", help="local date the held-back last year starts")
    args = parser.parse_args()
    progress_logging()

    import numpy as np
    import pandas as pd

    from pipelines.compute import dask_client
    from pipelines.config import load_settings
    from pipelines.demo import air_files
    from pipelines.domains.environment import forecast, pipeline
    from pipelines.domains.environment.marts import TIMEZONE
    from pipelines.forecasting import backtest
    from pipelines.lake.catalog import clean_dataset
    from pipelines.lake.catalog.environment import AIR_AQI_HOURLY
    from pipelines.lake.ingest import deliver
    from pipelines.lake.storage import Lake

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="citylake-aqi-bench-") as tmp:
        settings = load_settings(lake_uri=str(Path(tmp) / "lake"))
        lake = Lake(settings)
        lake.ensure_exists()
        files, synthetic = air_files(settings, Path(tmp) / "synthetic")
        if synthetic:
            print("!! Beijing files not found: running on SYNTHETIC data, the figures below are not Beijing's.")
        deliver(lake, pipeline.feed(), files)
        pipeline.ingest(settings, "bench", dt.datetime.now(dt.UTC))
        with dask_client(settings) as client:
            pipeline.clean(settings, "bench", client)
            pipeline.build_marts(settings, "bench", client)
        aqi = lake.read(AIR_AQI_HOURLY, columns=["station", "ts_utc", "aqi"])
        clean = lake.read(clean_dataset("air_quality_hourly"))
    series = forecast.AirSeries.from_frames(aqi, clean, TIMEZONE)
    start = int(np.searchsorted(series.times, pd.Timestamp(args.test_from, tz=TIMEZONE).tz_convert("UTC")))
    held_back = series.times[start].tz_convert(TIMEZONE)
    print(f"{len(series.stations)} stations, {len(series.times):,} hours; held back: from {held_back:%Y-%m-%d %H:%M} local time")
    history = series.until(start)
    forecasts, skills = [], {}
    for horizon in args.horizons:
        origins = np.arange(start, len(series.times) - horizon)
        for model in forecast.MODELS:
            t0 = time.monotonic()
            predicted = forecast.make_air_forecaster(model).fit(history, horizon).predict(series, origins, horizon)
            forecasts.append(backtest.FoldForecast(model, horizon, 0, origins, predicted))
            skills[(horizon, model)] = forecast.warning_skill(series.values[origins + horizon], predicted)
            logging.info("%2d h ahead: %s in %.1f s", horizon, model, time.monotonic() - t0)
    board = backtest.leaderboard(forecasts, series, step_minutes=60)
    board["horizon_h"] = board["horizon_min"] // 60
    print("\nMAE (AQI points) on the held-back year, and the heavy-pollution warning (forecast AQI >= 201)")
    print(f"{'h':>3} {'model':<18} {'MAE':>7} {'RMSE':>7} {'hit rate':>9} {'false alarms':>13} {'warnings':>9}")
    for row in board.sort_values(["horizon_h", "mae"]).itertuples():
        skill = skills[(row.horizon_h, row.model)]
        false_alarms = f"{skill.false_alarm_ratio:.1%}" if skill.warnings else "-"
        print(
            f"{row.horizon_h:>3} {row.model:<18} {row.mae:>7.2f} {row.rmse:>7.2f} {skill.hit_rate:>9.1%}"
            f" {false_alarms:>13} {skill.warnings:>9,}"
        )
    events = skills[(args.horizons[0], "persistence")].events
    print(f"\nheavily polluted station-hours in the held-back year: {events:,}")
    met = []
    for horizon in (h for h in args.horizons if h >= GOAL_FROM_H):
        here = board[board["horizon_min"] == horizon * 60].set_index("model")["mae"]
        best = here.drop(index="persistence").idxmin()
        met.append(here[best] < here["persistence"])
        print(
            f"{horizon:>3} h: best {best} MAE {here[best]:.2f} vs persistence {here['persistence']:.2f}"
            f" ({100 * (1 - here[best] / here['persistence']):+.1f} %)"
        )
    verdict = "met" if met and all(met) else "NOT met"
    print(f"goal (better than persistence at every horizon >= {GOAL_FROM_H} h): {verdict}; {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
