"""Call-volume surges and early warnings: event-level recall and false alarms of both detectors on the SYNTHETIC city
hotline with planted surges, at several thresholds and surge sizes; then the skill of the forecast warnings on the
held-back weeks.

The hotline (pipelines/domains/emergency/synthetic.py: call_volumes_with_surges) has 12 weeks of Poisson counts per
5 minutes around a daily profile (about 3,400 calls a day) with 40 planted surges of 30-120 minutes after week 4,
each ramping to `factor` x the normal volume. Detection is pipelines/domains/emergency/surges.py; a found surge that
overlaps a planted one is a hit, any other is a false alarm (counted per week of the 10 weeks that have a
baseline). The goal: recall at least 0.9 at the default threshold (4) with the false alarms stated.

Warnings (pipelines/domains/emergency/call_forecast.py): the forecasters are fitted on the first 8 weeks; from every
hour of the last 4 the seasonal level forecasts 1-3 hours ahead; an event is an hour whose counted calls score at
the threshold against their baseline; the skill is the shared `warning_skill` (a warning hits when its hour is an
event).

    .venv/bin/python benchmarks/call_surges.py
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--thresholds", type=float, nargs="+", default=[3.0, 4.0, 5.0, 6.0])
    args = parser.parse_args()

    import numpy as np
    import pandas as pd

    from pipelines.domains.emergency import call_forecast, surges, synthetic
    from pipelines.forecasting.events import event_score
    from pipelines.forecasting.warnings import warning_skill

    def hotline(seed: int, factors: tuple[float, float]) -> tuple[pd.DataFrame, pd.DataFrame]:
        counts, truth = synthetic.call_volumes_with_surges(seed=seed, factors=factors)
        utc = counts["ts_local"].dt.tz_localize(synthetic.LOCAL).dt.tz_convert("UTC")
        return counts.assign(ts_utc=utc, timezone=synthetic.LOCAL, slot_minutes=5), truth

    scored_weeks = 12 - 2
    print("SYNTHETIC hotline, 12 weeks at 5 minutes, 40 planted surges per seed; event-level scores summed over seeds")
    print(
        f"{'surge size':>11} {'threshold':>9} {'detector':>17} {'planted':>8} {'found':>6} {'recall':>7} "
        f"{'precision':>10} {'false/week':>11} {'seconds':>8}"
    )
    for factors in ((1.8, 3.5), (1.4, 1.8)):
        series = [hotline(seed, factors) for seed in args.seeds]
        for threshold in args.thresholds:
            params = surges.SurgeParams(threshold=threshold)
            totals: dict[str, list[int]] = {d: [0, 0, 0, 0] for d in surges.DETECTORS}
            started = time.perf_counter()
            for counts, truth in series:
                found = surges.detect(counts[["line_id", "ts_utc", "calls", "timezone"]], params)
                for detector in surges.DETECTORS:
                    score = event_score(found[found["detector"] == detector], truth)
                    for i, v in enumerate((score.events, score.found, score.hits, score.events_found)):
                        totals[detector][i] += v
            seconds = (time.perf_counter() - started) / len(series)
            for detector, (events, found_n, hits, events_found) in totals.items():
                print(
                    f"{factors[0]:>4.1f}-{factors[1]:<3.1f}x {threshold:>12.1f} {detector:>17} {events:>8} {found_n:>6} "
                    f"{events_found / events:>7.3f} {hits / found_n if found_n else float('nan'):>10.3f} "
                    f"{(found_n - hits) / (scored_weeks * len(series)):>11.2f} {seconds:>8.2f}"
                )

    print("\nForecast warnings on the last 4 weeks (fitted on the first 8), seasonal level, threshold 4")
    rows, events = [], []
    for seed in args.seeds:
        counts, _ = hotline(seed, (1.8, 3.5))
        series = call_forecast.CallSeries.from_slots(counts, synthetic.LOCAL)
        cut = 8 * 7 * 24
        frame = series.scored(4.0)
        actual = frame.iloc[cut:]
        events.append(pd.DataFrame({"line_id": f"seed{seed}", "target_ts_utc": actual.index[actual["score"] >= 4.0]}))
        for horizon in (1, 2, 3):
            model = call_forecast.SeasonalLevel().fit(series.until(cut), horizon)
            origins = np.arange(cut, len(series.times) - horizon)
            predicted = model.predict(series, origins, horizon)[:, 0]
            residual = series.values[origins + horizon, 0] - predicted
            width = float(np.nanquantile(np.abs(residual), 0.9))  # the 90 % interval's half-width, as the backtest's
            forecasts = pd.DataFrame(
                {
                    "origin_ts_utc": series.times[origins],
                    "target_ts_utc": series.times[origins + horizon],
                    "predicted": predicted,
                    "upper": predicted + width,
                    "model": model.name,
                    "training_id": f"h{horizon}",
                }
            ).dropna(subset=["predicted"])
            warned = call_forecast.warnings(forecasts, series, 4.0)
            rows.append(warned.assign(line_id=f"seed{seed}"))
    warnings = pd.concat(rows, ignore_index=True)
    happened = pd.concat(events, ignore_index=True)
    for lead in (0.0, 60.0, 120.0):
        skill = warning_skill(warnings[warnings["lead_time_min"] == lead], happened, ["line_id", "target_ts_utc"])
        print(f"lead {lead:.0f} min (horizon {lead / 60 + 1:.0f} h):")
        print(skill.to_string(index=False))


if __name__ == "__main__":
    main()
