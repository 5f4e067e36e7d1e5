"""Multi-source fusion: pairwise precision and recall of the incidents fused from SYNTHETIC calls, sensor alarms and
social posts against their known ground truth, for several seeds and for windows and distances around the defaults.

The reports come from pipelines/domains/emergency/synthetic.py (400 incidents over 14 days across Tempe, one to
four calls each, a sensor alarm for 60 % of the kinds that have sensors, zero to two social posts, 40 false alarms);
fusion is pipelines/domains/emergency/fusion.py. The goal: both at least 0.95 at the defaults (20 min, 500 m).

    .venv/bin/python benchmarks/fusion.py
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--incidents", type=int, default=400)
    args = parser.parse_args()

    from pipelines.domains.emergency import fusion, synthetic

    types = fusion.incident_types()
    print(f"SYNTHETIC reports of {args.incidents} incidents over 14 days (Tempe), pairwise scores against the truth")
    print(
        f"{'seed':>4} {'window':>7} {'distance':>9} {'reports':>8} {'incidents':>10} {'true':>6} {'precision':>10} {'recall':>7} {'seconds':>8}"
    )
    grid = [(20.0, 500.0), (10.0, 500.0), (30.0, 500.0), (20.0, 250.0), (20.0, 1000.0)]
    for seed in args.seeds:
        reports = synthetic.reports_with_truth(incidents=args.incidents, seed=seed)
        truth = reports.set_index("report_id")["incident"]
        for window, distance in grid if seed == args.seeds[0] else grid[:1]:
            started = time.perf_counter()
            incidents, member = fusion.fuse(reports, types, fusion.FusionParams(window, distance))
            seconds = time.perf_counter() - started
            precision, recall = fusion.pairwise_scores(member, truth)
            print(
                f"{seed:>4} {window:>3.0f} min {distance:>7.0f} m {len(reports):>8,} {len(incidents):>10,} "
                f"{truth.nunique():>6,} {precision:>10.3f} {recall:>7.3f} {seconds:>8.2f}"
            )


if __name__ == "__main__":
    main()
