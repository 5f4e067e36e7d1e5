"""Traffic forecasting: every model x horizon x metric from one rolling-origin backtest, and the target.

Runs the real pipeline on a temporary lake: the METR-LA files (or, without them, SYNTHETIC ones from
the project's generator, said loudly) are ingested, cleaned and curated, then every model is
backtested on the Dask cluster on the last 20 % of the week. Prints the leaderboard and whether the
champion's MAE is at least 15 % below the better of the last-value and historical-average baselines
at each horizon.

    .venv/bin/python benchmarks/traffic_forecast.py                # all 207 sensors, ~5 min on 2 cores
    .venv/bin/python benchmarks/traffic_forecast.py --sensors 40   # a quicker look
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from measure import progress_logging  # benchmarks/measure.py

TARGET_GAIN_PCT = 15.0
REPORTS = Path(__file__).resolve().parents[1] / "var" / "reports"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sensors", type=int, default=0, help="use only the first N sensors (0: all)")
    parser.add_argument("--workers", type=int, default=0, help="Dask workers (0: one per core, at most 8)")
    args = parser.parse_args()
    progress_logging()

    from pipelines.compute import dask_client
    from pipelines.config import load_settings
    from pipelines.demo import traffic_files
    from pipelines.domains.traffic import pipeline
    from pipelines.domains.traffic.params import TrafficParams
    from pipelines.flows import clean as clean_flow
    from pipelines.lake.ingest import deliver
    from pipelines.lake.storage import Lake

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="citylake-traffic-bench-") as tmp:
        settings = load_settings(lake_uri=str(Path(tmp) / "lake"), dask_workers=args.workers or None)
        lake = Lake(settings)
        lake.ensure_exists()
        files, synthetic = traffic_files(settings, Path(tmp) / "synthetic")
        if synthetic:
            print("!! METR-LA files not found: running on SYNTHETIC data, the figures below are not METR-LA's.")
        with dask_client(settings) as client:
            for feed, paths in files:
                deliver(lake, feed, paths)
                clean_flow.ingest(settings, feed, "bench", dt.datetime.now(dt.UTC))
                clean_flow.clean(settings, feed, "bench", client)
            speeds = next(paths[0] for feed, paths in files if feed.dataset == "traffic_readings")
            params = TrafficParams(
                sensors=tuple(speeds.read_text().split("\n", 1)[0].split(",")[: args.sensors]) if args.sensors else ()
            )
            curated = pipeline.curate_readings(settings, "bench", params)
            print(
                f"readings: {curated['measures'][params.measure]['sensors']} sensors, {curated['rows']:,} rows"
                f" from {curated['from_utc']} to {curated['to_utc']}"
            )
            trained = pipeline.train(settings, "bench", client, params)
        board = pipeline.read_leaderboard(lake, trained["training_id"])
        plots = REPORTS / "benchmark_traffic"
        plots.mkdir(parents=True, exist_ok=True)
        for path in trained["plots"]:
            (plots / Path(path).name).write_bytes(lake.read_bytes(path))
    print_board(board, trained, synthetic, time.monotonic() - started, plots)


def print_board(board, trained: dict, synthetic: bool, seconds: float, plots: Path) -> None:
    """The whole leaderboard, then the target per horizon."""
    label = "SYNTHETIC" if synthetic else "METR-LA"
    print(
        f"\n{label}: rolling-origin backtest from {trained['test_from_utc']} ({board['folds'].iloc[0]} folds), "
        f"{trained['sensors']} sensors; masked metrics, speeds in km/h"
    )
    print(f"{'horizon':>7}  {'model':<19} {'MAE':>6} {'RMSE':>6} {'MAPE %':>7} {'points':>8} {'rank':>4}  gain vs best baseline")
    for row in board.sort_values(["horizon_min", "rank"]).itertuples():
        print(
            f"{row.horizon_min:>5} m  {row.model:<19} {row.mae:6.3f} {row.rmse:6.3f} {row.mape_pct:7.2f} {row.scored_points:>8,} "
            f"{row.rank:>4}  {row.gain_vs_best_baseline_pct:+6.1f} %{'  <- champion' if row.is_champion else ''}"
        )
    print(f"\ntarget: champion MAE at least {TARGET_GAIN_PCT:.0f} % below min(last_value, historical_average) at every horizon")
    for row in board[board["is_champion"]].sort_values("horizon_min").itertuples():
        verdict = "met" if row.gain_vs_best_baseline_pct >= TARGET_GAIN_PCT else "NOT met"
        print(f"  {row.horizon_min:>3} min: {row.model:<18} {row.gain_vs_best_baseline_pct:5.1f} %  {verdict}")
    print("\ncongestion alerts of the champions on the held-back days (the same rule on the readings = the events):")
    print(f"  {'basis':<18} {'events':>7} {'alerts':>7} {'hits':>6} {'precision':>9} {'recall':>7}  median lead")
    for s in trained["held_back_warnings"]:
        print(
            f"  {s['basis']:<18} {s['events']:>7,} {s['warned']:>7,} {s['hits']:>6,} {s['precision']:>9.2f} {s['recall']:>7.2f}"
            f"  {s['median_lead_min']:.0f} min"
        )
    print(f"\nplots: {plots}/ (leaderboard.png, factors.png, forecast_vs_actual.png)")
    print(f"wall time {seconds:.0f} s")


if __name__ == "__main__":
    main()
