"""One run of the air-quality clean job in its own process: `python -m tests.reliability.air_run LAKE RUN_ID`.

Ingests the landing zone and cleans it on a one-worker LocalCluster; prints the summary's counts, or the
error's type and message (exit 1), so that two of them can be raced.
"""

from __future__ import annotations

import datetime as dt
import sys

from pipelines.compute import dask_client
from pipelines.config import load_settings
from pipelines.domains.environment import pipeline

ARRIVED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def main(lake_uri: str, run_id: str) -> int:
    settings = load_settings(lake_uri=lake_uri, dask_workers=1)
    try:
        pipeline.ingest(settings, run_id, ARRIVED)
        with dask_client(settings) as client:
            summary = pipeline.clean(settings, run_id, client)
    except Exception as exc:  # the outcome to report: the race's loser must fail cleanly, with a clear message
        print(f"error {type(exc).__name__}: {exc}", flush=True)
        return 1
    print(
        f"ok rows_clean={summary.rows_clean} skipped={summary.skipped_as_duplicate} version={summary.table_version}", flush=True
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
