"""Frequent itemsets on the same case baskets: CityLake (on a Dask cluster and in one process), mlxtend, fim.

The baskets come from the SYNTHETIC multi-source case generator (one basket per case: case facts,
offender attributes, vehicles, hotel stays and flights; see pipelines/domains/public_safety). Each
engine runs in a fresh process whose RSS (workers included) is sampled from here; the time is the
mining call alone, after each engine's input is built (mlxtend's one-hot DataFrame, fim's lists, our
compressed rows), and for the cluster after the LocalCluster is up and the baskets are on the workers
(the pipeline builds them there). Every engine's itemsets and counts
are compared with CityLake's in-process result.

    .venv/bin/python benchmarks/association_rules.py --cases 100000 1000000 [--min-support 0.01]
    .venv/bin/python benchmarks/association_rules.py --hard [--quick]   # 400 items, support down to 0.1 %
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
from measure import Goal, PeakMemory, Section  # benchmarks/measure.py

ENGINES = ("citylake_cluster", "citylake", "fim", "mlxtend")


def make_baskets(cases: int, path: Path) -> tuple[int, int]:
    """Generate the cases, build their baskets, save them; returns (baskets, distinct items)."""
    from pipelines.domains.public_safety.baskets import BasketParams, build_baskets
    from pipelines.domains.public_safety.synthetic import generate_cases

    data = generate_cases(cases, seed=42)
    built = build_baskets(data.cases, data.persons, data.vehicles, data.hotel_stays, data.flights, BasketParams())
    np.savez(path, offsets=built.baskets.offsets, items=built.baskets.items, n_items=len(built.labels))
    return len(built.baskets), len(built.labels)


def make_hard_baskets(n: int, path: Path, items: int = 400, seed: int = 1) -> tuple[int, int]:
    """SYNTHETIC baskets of several hundred items: 5-15 items each, drawn with Zipf-like popularity (exponent 0.8),
    and a planted group of four items in 10 % of the baskets; saved like make_baskets."""
    rng = np.random.default_rng(seed)
    popularity = 1 / np.arange(1, items + 1) ** 0.8
    cdf = np.cumsum(popularity / popularity.sum())
    sizes = rng.integers(5, 16, n)
    basket = np.repeat(np.arange(n, dtype=np.int64), sizes)
    item = np.minimum(np.searchsorted(cdf, rng.random(len(basket))), items - 1)
    planted = np.flatnonzero(rng.random(n) < 0.1)
    group = np.arange(items - 50, items - 46)
    basket = np.concatenate([basket, np.repeat(planted, len(group))])
    item = np.concatenate([item, np.tile(group, len(planted))])
    keys = np.sort(basket * items + item)  # sort + neighbours: np.unique's hash path is 8x slower here
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys // items, minlength=n), out=offsets[1:])
    np.savez(path, offsets=offsets, items=(keys % items).astype(np.int32), n_items=items)
    return n, items


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
        import dask
        from distributed import Client, LocalCluster

        from pipelines.compute import cluster_config
        from pipelines.domains.public_safety.itemsets import mine_on_cluster

        dask.config.set(cluster_config())

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


def collect(quick: bool) -> list[Section]:
    """The rules section of `make bench`: the hard case (400 items) against fim, in one process and on 2 workers."""
    sizes = [100_000, 1_000_000] if quick else [1_000_000, 10_000_000]
    supports = [0.01, 0.001] if quick else [0.01, 0.002, 0.001]
    section = Section(
        "rules",
        "Frequent itemsets, the hard case: SYNTHETIC baskets of 400 items (5-15 each, Zipf-like popularity)",
        ["baskets", "min support", "engine", "seconds", "x fim", "peak MiB", "itemsets", "identical to fim"],
    )
    ratios: dict[tuple[int, float, str], float] = {}
    exact = True
    with tempfile.TemporaryDirectory(prefix="citylake-fim-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        for n in sizes:
            path = tmp / f"hard_{n}.npz"
            make_hard_baskets(n, path)
            for support in supports:
                print(f"rules: {n:,} baskets at {support:.1%} support ...", flush=True)
                rows = {engine: measure(engine, path, support, tmp) for engine in ("fim", "citylake", "citylake_cluster")}
                reference = rows["fim"]
                for engine, row in rows.items():
                    same = row["itemsets"] == reference["itemsets"]
                    exact &= same
                    ratio = row["seconds"] / reference["seconds"]
                    ratios[(n, support, engine)] = ratio
                    label = {
                        "fim": "fim (C, FP-growth)",
                        "citylake": "CityLake, in process",
                        "citylake_cluster": "CityLake, 2 workers",
                    }
                    section.rows.append(
                        [
                            n,
                            f"{support:.1%}",
                            label[engine],
                            row["seconds"],
                            ratio,
                            row["peak_mib"],
                            len(row["itemsets"]),
                            "yes" if same else "NO",
                        ]
                    )
    worst_in_process = max((r for (n, _, e), r in ratios.items() if n == 1_000_000 and e == "citylake"), default=None)
    section.goals.append(
        Goal(
            "in one process at 10^6 baskets, every support",
            "<= 1.5x fim",
            f"{worst_in_process:.2f}x (worst)" if worst_in_process else "-",
            worst_in_process <= 1.5 if worst_in_process else None,
        )
    )
    cluster = [r for (n, _, e), r in ratios.items() if n == 10_000_000 and e == "citylake_cluster"]
    section.goals.append(
        Goal(
            "on 2 workers at 10^7 baskets, every support",
            "< 1.0x fim",
            f"{max(cluster):.2f}x (worst)" if cluster else "full size only",
            max(cluster) < 1.0 if cluster else None,
        )
    )
    section.goals.append(Goal("itemsets and counts identical to fim", "every run", "yes" if exact else "NO", exact))
    return [section]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--min-support", type=float, default=0.01)
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--hard", action="store_true", help="the hard case of `make bench` (400 items, down to 0.1 %%)")
    parser.add_argument("--quick", action="store_true", help="with --hard: 10^5 and 10^6 baskets (else 10^6 and 10^7)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hard:
        for section in collect(args.quick):
            print(section.markdown())
        return
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
