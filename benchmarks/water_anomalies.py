"""Water anomalies: event-level precision and recall of the detectors on seeded series, and the real pipe charted.

Seeded SYNTHETIC hourly flows (pipelines/domains/energy/synthetic.py), each with four planted events (drops,
spikes, drifts), go through both detectors of pipelines/domains/energy/anomalies.py; a found period that overlaps
a planted event is a hit. Prints precision and recall per detector, and recall per kind of event. Then the real
pipe (`energy/water_flow.csv`, whose publisher describes four anomalous segments) is run through both and charted
to docs/images/water_flow_anomalies.png.

    .venv/bin/python benchmarks/water_anomalies.py              # 100 series, about a minute
    .venv/bin/python benchmarks/water_anomalies.py --series 20
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "docs" / "images" / "water_flow_anomalies.png"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=100, help="seeded series to score on")
    args = parser.parse_args()

    from pipelines.domains.energy import anomalies, synthetic

    params = anomalies.AnomalyParams()
    rows = []
    started = time.monotonic()
    for seed in range(args.series):
        series, events = synthetic.flow_with_anomalies(seed)
        for detector in anomalies.DETECTORS:
            found = anomalies.detect(series, detector, params)
            score = anomalies.event_score(found, events)
            rows.append(
                {
                    "detector": detector,
                    "events": score.events,
                    "found": score.found,
                    "hits": score.hits,
                    "events_found": score.events_found,
                }
            )
            for kind in synthetic.KINDS:
                of_kind = events[events["kind"] == kind]
                rows.append(
                    {
                        "detector": f"{detector}:{kind}",
                        "events": len(of_kind),
                        "events_found": anomalies.event_score(found, of_kind).events_found,
                    }
                )
        if (seed + 1) % 20 == 0:
            print(f"  {seed + 1}/{args.series} series scored ({time.monotonic() - started:.0f} s)", flush=True)
    table = pd.DataFrame(rows).groupby("detector").sum()
    print(f"\nSYNTHETIC flows: {args.series} seeded series, 4 planted events each (drop, spike, drift, drop)")
    print(f"{'detector':<18} {'events':>7} {'found':>6} {'precision':>9} {'recall':>7}   recall by kind: drop / spike / drift")
    for detector in anomalies.DETECTORS:
        r = table.loc[detector]
        by_kind = " / ".join(
            f"{table.loc[f'{detector}:{k}', 'events_found'] / table.loc[f'{detector}:{k}', 'events']:.2f}"
            for k in synthetic.KINDS
        )
        print(
            f"{detector:<18} {int(r['events']):>7} {int(r['found']):>6} {r['hits'] / r['found']:>9.3f} {r['events_found'] / r['events']:>7.3f}   {by_kind}"
        )

    data = Path(os.environ.get("CITYLAKE_DATA_DIR", ROOT.parent / "shared" / "data")) / "energy" / "water_flow.csv"
    if not data.exists():
        print(f"\n!! {data} not found: the real pipe is not charted")
        return
    frame = pd.read_csv(data)
    real = pd.Series(frame["Water flow [l/s]"].to_numpy(), index=pd.to_datetime(frame["Time"], utc=True))
    found = {d: anomalies.detect(real, d, params) for d in anomalies.DETECTORS}
    print(f"\nthe real pipe ({data.name}): the robust detector's periods")
    print(found["robust"][["start_utc", "end_utc", "hours", "kind", "lowest", "highest", "peak_score"]].to_string(index=False))
    print(f"IsolationForest: {len(found['isolation_forest'])} periods")
    chart(real, found, CHART)
    print(f"chart: {CHART}")


def chart(series: pd.Series, found: dict[str, pd.DataFrame], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(12, 4))
    ax.plot(series.index, series.to_numpy(), lw=0.8, color="#1f77b4", label="flow (l/s)")
    for row in found["robust"].itertuples():
        ax.axvspan(row.start_utc, row.end_utc, color="#d62728" if row.kind == "low" else "#ff7f0e", alpha=0.3)
    for row in found["isolation_forest"].itertuples():
        ax.plot([row.start_utc, row.end_utc], [20, 20], lw=4, color="#2ca02c")
    ax.set_title("Supply pipe flow, March-May 2022: anomalous periods (shaded: robust; green bars: IsolationForest)")
    ax.set_ylabel("l/s")
    ax.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
