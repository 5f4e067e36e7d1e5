"""What the lake_maintenance DAG calls."""

from __future__ import annotations

import datetime as dt

from pipelines.lake.maintenance import maintain_lake
from pipelines.lake.storage import Lake
from pipelines.orchestration.hooks import task_settings


def remove_unreferenced_files(retention_days: int) -> dict[str, int]:
    """Per table, the unreferenced files removed (orphans of crashed runs, files replaced long ago)."""
    return maintain_lake(Lake(task_settings()), dt.timedelta(days=retention_days))
