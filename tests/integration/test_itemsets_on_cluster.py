"""On the Dask cluster, with the baskets built on the workers, the itemsets are exactly those of the in-process engine."""

from __future__ import annotations

import pytest

from pipelines.domains.public_safety.baskets import BasketParams, build_baskets
from pipelines.domains.public_safety.itemsets import frequent_itemsets, mine_on_cluster
from pipelines.domains.public_safety.synthetic import generate_cases

pytestmark = pytest.mark.slow


def test_cluster_mining_is_exact(dask_client) -> None:
    data = generate_cases(30_000, seed=8)
    built = build_baskets(data.cases, data.persons, data.vehicles, data.hotel_stays, data.flights, BasketParams())
    chunks = dask_client.scatter(built.baskets.chunks(7_001))  # uneven chunks, spread over both workers
    on_cluster = mine_on_cluster(dask_client, chunks, len(built.baskets), len(built.labels), 0.01)
    in_process = frequent_itemsets(built.baskets, len(built.labels), 0.01)
    assert on_cluster == in_process and len(in_process) > 1000 and max(map(len, in_process)) >= 5


def test_workers_keep_the_allocators_defaults(dask_client) -> None:
    """Dask's nanny would set MALLOC_TRIM_THRESHOLD_ (every large temporary a fresh mmap: 2x slower numpy here)."""
    import os

    seen = dask_client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_", "unset"))
    assert sorted(seen.values()) == ["unset", "unset"]
