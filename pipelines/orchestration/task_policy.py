"""How every CityLake task runs under Airflow: its owner, its time limit, its retries, and the Dask pool.

- Every task has an `execution_timeout`: a hung task fails and frees its slot instead of holding it forever.
- Retries are for transient trouble (S3 answering 503, a Dask worker lost) and back off exponentially; a quality
  gate failure raises AirflowFailException, which Airflow never retries (`orchestration/feeds.py`).
- Work that needs the Dask cluster runs in the pool `citylake_dask`, sized to the cluster (`make up` creates it
  with one slot per worker): ten feeds arriving at once queue for it instead of starting ten clusters.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

DASK_POOL = "citylake_dask"
DASK_POOL_DESCRIPTION = "Tasks that use the Dask cluster: one slot per Dask worker"


def task_defaults(owner: str, timeout: dt.timedelta) -> dict[str, Any]:
    """`default_args` of a CityLake DAG: owner, time limit, retries with exponential back-off."""
    return {
        "owner": owner,
        "execution_timeout": timeout,
        "retries": 2,
        "retry_delay": dt.timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": dt.timedelta(minutes=15),
    }
