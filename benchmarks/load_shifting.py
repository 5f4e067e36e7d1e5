"""Peak shaving by shifting load: the group's peak before and after, against the known optimum, and the solve time,
for 10, 100 and 1,000 SYNTHETIC buildings.

Each group is a day of 15-minute electricity for a seeded SYNTHETIC portfolio (offices, schools, hospitals, homes,
malls; pipelines/domains/energy/synthetic.py) whose flexible share may move between 06:00 and 22:00. The LP
(pipelines/domains/energy/shifting.py, SciPy's HiGHS) is compared with the water-filling optimum, computed without
a solver. Two regimes: the portfolio as generated (its fixed load's own peak binds), and with three times the
flexible share (the filled level binds).

    .venv/bin/python benchmarks/load_shifting.py
"""

from __future__ import annotations

import argparse

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buildings", type=int, nargs="+", default=[10, 100, 1000])
    args = parser.parse_args()

    from pipelines.domains.energy import shifting, synthetic

    window = np.zeros(96, dtype=bool)
    window[6 * 4 : 22 * 4] = True
    print("SYNTHETIC portfolios, one day at 15 minutes, flexible load movable 06:00-22:00")
    print(
        f"{'buildings':>9} {'flexible':>9} {'peak before':>12} {'after':>10} {'optimum':>10} {'gap %':>6} {'shaved %':>8} {'solve s':>8}"
    )
    for buildings in args.buildings:
        _, _, fixed, flexible = synthetic.building_portfolio(buildings, seed=buildings)
        for label, (f, x) in (("as made", (fixed, flexible)), ("x3", (fixed - 2 * flexible, 3 * flexible))):
            plan = shifting.shift_load(f, x, window)
            optimum = shifting.water_filling_peak(f.sum(axis=0), x.sum(axis=0), window)
            gap = 100 * (plan.peak_after / optimum - 1)
            print(
                f"{buildings:>9,} {label:>9} {plan.peak_before:>12,.0f} {plan.peak_after:>10,.0f} {optimum:>10,.0f} "
                f"{gap:>6.3f} {plan.reduction_pct:>8.1f} {plan.seconds:>8.2f}"
            )


if __name__ == "__main__":
    main()
