"""Frequent itemsets on the same case baskets: CityLake (on a Dask cluster and in one process), mlxtend, fim.

The baskets come from the SYNTHETIC multi-source case generator (one basket per case: case facts,
offender attributes, vehicles, hotel stays and flights; see pipelines/domains/public_safety). Each
engine runs in a fresh process whose RSS (workers included) is sampled from here; the time is the
mining call alone, after each engine's input is built (mlxtend's one-hot DataFrame, fim's lists, our
compressed rows), and for the cluster after the LocalCluster is up and the baskets are on the workers
(the pipeline builds them there). Every engine's itemsets and counts
are compared with CityLake's in-process result.

    .venv/bin/python benchmarks/association_rules.py --cases 100000 1000000 [--min-support 0.01]
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from measure import PeakMemory  # benchmarks/measure.py

ENGINES = ("citylake_cluster", "citylake", "fim", "mlxtend")


def make_baskets(cases: int, path: Path) -> tuple[int, int]:
    """Generate the cases, build their baskets, save them; returns (baskets, distinct items)."""
    from pipelines.domains.public_safety.baskets import BasketParams, build_baskets
    from pipelines.domains.public_safety.synthetic import generate_cases

    data = generate_cases(cases, seed=42)
    built = build_baskets(data.cases, data.persons, data.vehicles, data.hotel_stays, data.flights, BasketParams())
    np.savez(path, offsets=built.baskets.offsets, items=built.baskets.items, n_items=len(built.labels))
    return len(built.baskets), len(built.labels)


def run_engine(engine: str, baskets_path: Path, min_support: float, out: Path) -> None:
    """In the child process: load the baskets, build the engine's input, time the mining, save the itemsets."""
    from pipelines.domains.public_safety.itemsets import Baskets, frequent_itemsets, min_count_for

    saved = np.load(baskets_path)
    baskets, n_items = Baskets(saved["offsets"], saved["items"]), int(saved["n_items"])
    n = len(baskets)
    if engine == "citylake":
        started = time.perf_counter()
        found = frequent_itemsets(baskets, n_items, min_support)
    elif engine == "citylake_cluster":
        from distributed import Client, LocalCluster

        from pipelines.domains.public_safety.itemsets import mine_on_cluster

        with (
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            # in the pipeline the workers build the baskets; here they are shipped once, before the clock starts
            futures = client.scatter(baskets.chunks((n + 1) // 2))  # one chunk per worker
            client.gather(client.map(len, futures))
            started = time.perf_counter()
            found = mine_on_cluster(client, futures, n, n_items, min_support)
            seconds = time.perf_counter() - started
    elif engine == "fim":
        import fim

        rows = [baskets.items[a:b].tolist() for a, b in zip(baskets.offsets[:-1], baskets.offsets[1:])]
        started = time.perf_counter()
        found = {tuple(sorted(s)): c for s, c in fim.fpgrowth(rows, target="s", supp=-min_count_for(min_support, n), report="a")}
    elif engine == "mlxtend":
        import pandas as pd
        from mlxtend.frequent_patterns import fpgrowth

        onehot = np.zeros((n, n_items), dtype=bool)
        onehot[baskets.basket_ids(), baskets.items] = True
        frame = pd.DataFrame(onehot, columns=range(n_items))
        started = time.perf_counter()
        result = fpgrowth(frame, min_support=min_support)
        found = {tuple(sorted(s)): round(p * n) for s, p in zip(result["itemsets"], result["support"])}
    else:
        raise ValueError(f"unknown engine {engine}")
    if engine != "citylake_cluster":
        seconds = time.perf_counter() - started
    out.write_bytes(pickle.dumps({"seconds": seconds, "itemsets": found}))


def measure(engine: str, baskets_path: Path, min_support: float, tmp: Path) -> dict:
    """Run one engine in a child process; its time, peak memory and itemsets."""
    out = tmp / f"{engine}.pkl"
    child = subprocess.Popen([sys.executable, __file__, "--child", engine, str(baskets_path), str(min_support), str(out)])
    with PeakMemory(child.pid) as memory:
        child.wait()
    if child.returncode != 0:
        raise RuntimeError(f"{engine} failed (exit {child.returncode})")
    result = pickle.loads(out.read_bytes())
    return {"engine": engine, "seconds": result["seconds"], "peak_mib": memory.peak / 2**20, "itemsets": result["itemsets"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--min-support", type=float, default=0.01)
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, path, support, out = args.child
        run_engine(engine, Path(path), float(support), Path(out))
        return
    print("data: SYNTHETIC case baskets (pipelines/domains/public_safety/synthetic.py), min support", args.min_support)
    print(f"{'baskets':>9} {'engine':<17} {'seconds':>8} {'peak MiB':>9} {'itemsets':>9}  identical to CityLake")
    with tempfile.TemporaryDirectory(prefix="citylake-fim-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        for cases in args.cases:
            path = tmp / f"baskets_{cases}.npz"
            n, items = make_baskets(cases, path)
            reference = None
            for engine in ("citylake", *[e for e in args.engines if e != "citylake"]):
                row = measure(engine, path, args.min_support, tmp)
                reference = reference or row["itemsets"]
                same = "yes" if row["itemsets"] == reference else "NO"
                print(
                    f"{n:>9,} {engine:<17} {row['seconds']:>8.2f} {row['peak_mib']:>9,.0f} {len(row['itemsets']):>9,}  {same}",
                    flush=True,
                )
            print(f"{'':>9} ({items} distinct items)")


if __name__ == "__main__":
    main()
