"""The five SYNTHETIC police sources through their feeds into a fresh lake (for the scenarios that mine them)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipelines.config import load_settings
from pipelines.flows import clean as clean_flow
from pipelines.lake.storage import Lake
from pipelines.sources.registry import all_sources
from tests.conftest import DATA_DIR, POLICE_FEEDS, deliver_cases


def police_lake(root: Path, key: str, dask_client, files: list[Path]) -> Lake:
    """Deliver the case files, ingest and clean the five feeds (identifiers pseudonymised with `key`)."""
    settings = load_settings(lake_uri=str(root), data_dir=DATA_DIR, pseudonym_key=key)
    lake = Lake(settings)
    lake.ensure_exists()
    deliver_cases(lake, files)
    for name in POLICE_FEEDS:
        feed = all_sources()[name]
        clean_flow.ingest(settings, feed, "r1", dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
        clean_flow.clean(settings, feed, "r1", dask_client)
    return lake
