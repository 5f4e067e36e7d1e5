"""What differential privacy costs the health statistics: the real COVID-19 tests' daily positives released with
OpenDP's discrete Laplace noise at several budgets, each repeated; the error of the counts and how the outbreak signals
on the noisy counts compare with those on the true ones (each person's first 3 tests counted, as the mart does).

Reads `health/covid_testing.csv.gz` from the data directory (CITYLAKE_DATA_DIR); the person is its subject id here
(the numbers printed are aggregates over the repetitions).

    .venv/bin/python benchmarks/dp_signals.py [--epsilons 0.5 1 2 5 10] [--repeats 50]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epsilons", type=float, nargs="+", default=[0.5, 1.0, 2.0, 5.0, 10.0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--max-tests-per-person", type=int, default=3)
    args = parser.parse_args()

    from pipelines.config import load_settings
    from pipelines.domains.health import private_counts, signals

    source = load_settings().data_dir / "health" / "covid_testing.csv.gz"
    if not source.exists():
        sys.exit(f"no {source}: set CITYLAKE_DATA_DIR to the folder that holds health/ (README: where the data comes from)")
    raw = pd.read_csv(source, usecols=["subject_id", "pan_day", "result", "age"])
    tests = raw[raw["age"] <= 120].rename(columns={"subject_id": "subject_key", "pan_day": "pandemic_day"})
    days = range(int(tests["pandemic_day"].min()), int(tests["pandemic_day"].max()) + 1)
    bound = args.max_tests_per_person
    exact_counts = private_counts.true_daily(private_counts.bounded(tests, bound), days)
    exact = signals.ears(exact_counts["positives"].astype(float)).rename_axis("pandemic_day").reset_index()
    print(
        f"{len(tests):,} real tests, {len(days)} days, each person's first {bound} tests: "
        f"{int(exact_counts['positives'].sum())} positives, {exact_counts['positives'].mean():.1f} a day"
    )
    print(
        "signal days on the true counts: " + ", ".join(f"{m} {int(exact[f'{m.lower()}_signal'].sum())}" for m in signals.METHODS)
    )
    print(
        f"\n{'epsilon':>7} {'scale':>6} {'MAE pos/day':>11}  " + "  ".join(f"{m + ' found/false':>17}" for m in signals.METHODS)
    )
    for epsilon in args.epsilons:
        params = private_counts.PrivacyParams(epsilon, bound)
        errors, found, false = [], {m: [] for m in signals.METHODS}, {m: [] for m in signals.METHODS}
        for _ in range(args.repeats):
            noisy = private_counts.private_signals(private_counts.private_daily(tests, params))
            errors.append(float(np.abs(noisy["positives"].to_numpy() - exact_counts["positives"].to_numpy()).mean()))
            for method, counts in private_counts.signal_agreement(exact, noisy).items():
                found[method].append(counts["both"] / counts["true"] if counts["true"] else np.nan)
                false[method].append(counts["noisy"] - counts["both"])
        cells = "  ".join(f"{np.nanmean(found[m]):>8.0%} {np.mean(false[m]):>8.1f}" for m in signals.METHODS)
        print(f"{epsilon:>7g} {bound / (epsilon / 2):>6.1f} {np.mean(errors):>11.2f}  {cells}")
    print(
        "\nfound: share of the true signal days also signalled on the noisy counts; false: noisy signal days that are "
        f"not true ones (mean over {args.repeats} releases)."
    )


if __name__ == "__main__":
    main()
