"""The engine's context for one raw file: its name, its arrival, the feed's district polygons, the pseudonym key."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from pipelines.cleanse.geo import District, read_districts
from pipelines.config import Settings
from pipelines.lake.ingest import RawFile
from pipelines.sources.spec import FeedSpec
from pipelines.sources.standardize import FeedContext


@lru_cache(maxsize=8)
def _districts(path: str, name_field: str) -> list[District]:
    return read_districts(Path(path), name_field)


def feed_context(feed: FeedSpec, settings: Settings, raw: RawFile) -> FeedContext:
    """The engine's context for one raw file: its name, arrival and the feed's district polygons."""
    districts = None
    if feed.geo is not None and feed.geo.districts is not None:
        path = Path(feed.geo.districts.file)
        districts = _districts(str(path if path.is_absolute() else settings.data_dir / path), feed.geo.districts.name_field)
    key = settings.pseudonym_key.get_secret_value().encode() if settings.pseudonym_key is not None else None
    return FeedContext(raw.file_name, dt.datetime.fromisoformat(raw.arrived_at), districts, key)
