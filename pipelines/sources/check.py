"""`citylake sources check`: try a feed's YAML on a sample file and show what would happen, writing nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.cleanse.crs import is_projected, look_projected
from pipelines.config import Settings
from pipelines.lake.ingest import RawFile
from pipelines.sources.context import feed_context
from pipelines.sources.readers import FileRejected, read_records
from pipelines.sources.spec import FeedSpec
from pipelines.sources.standardize import Standardized, required_source_columns, standardize
from pipelines.validate.suite import load_suite


def try_feed(feed: FeedSpec, sample: Path, settings: Settings) -> Standardized:
    """Standardize a local sample file with a feed's YAML and suite, in memory."""
    content = sample.read_bytes()
    raw = RawFile(
        feed.name,
        sample.name,
        hashlib.sha256(content).hexdigest(),
        len(content),
        None,
        str(sample),
        str(sample),
        dt.datetime.now(dt.UTC).isoformat(),
        "check",
    )
    return standardize(content, feed, load_suite(feed.suite), feed_context(feed, settings, raw))


def coordinate_warnings(feed: FeedSpec, content: bytes) -> list[str]:
    """A warning when the sample's coordinates look projected (metres, feet) but the feed declares degrees."""
    if feed.coordinates is None or is_projected(feed.coordinates.crs):
        return []
    try:
        records = read_records(content, feed, required_source_columns(feed)).records
        lat = pd.to_numeric(records[feed.coordinates.latitude], errors="coerce").to_numpy()
        lon = pd.to_numeric(records[feed.coordinates.longitude], errors="coerce").to_numpy()
    except (FileRejected, KeyError):  # the report says why the file or its columns cannot be read
        return []
    if not look_projected(lat, lon):
        return []
    known = ~(np.isnan(lat) | np.isnan(lon))
    example = f"({lat[known][0]:g}, {lon[known][0]:g})"
    return [
        f"warning: coordinates look projected, e.g. {example} lies beyond +-90 / +-180, but the feed declares "
        f"{feed.coordinates.crs} degrees: set coordinates.crs to the department's EPSG code (EPSG:32650 for UTM 50N, "
        "EPSG:3435 for Illinois East ftUS, EPSG:27700 for the British National Grid), latitude = y, longitude = x"
    ]


def check_report(feed: FeedSpec, sample: Path, settings: Settings, rows: int = 5) -> str:
    """A readable report: counts, quarantine by reason with examples, and the first mapped rows."""
    result = try_feed(feed, sample, settings)
    lines = [
        f"feed {feed.name} -> {feed.dataset} (suite {feed.suite}) on {sample}",
        f"rows in {result.rows_in:,}: clean {len(result.clean):,}, quarantined {len(result.rejects):,},"
        f" deduplicated {result.rows_deduplicated:,}"
        + (f", gaps {result.gaps:,}" if result.gaps else "")
        + (f"; encoding {result.encoding}" if result.encoding else ""),
    ]
    lines += [f"note: {note}" for note in result.notes]
    lines += coordinate_warnings(feed, sample.read_bytes())
    if len(result.rejects):
        lines.append("would be quarantined:")
        for code, group in result.rejects.groupby("reason_code", sort=True):
            first = group.iloc[0]
            lines.append(f"  {code:<28} {len(group):>7,}  e.g. line {first['source_line']}: {first['reason_detail']}")
    if len(result.clean):
        lines.append(f"first {min(rows, len(result.clean))} mapped rows:")
        with pd.option_context("display.width", 200, "display.max_columns", None):
            lines.append(result.clean.head(rows).to_string(index=False))
    return "\n".join(lines)


def list_report(feeds: dict[str, FeedSpec], settings: Settings) -> str:
    """One line per registered feed."""
    header = f"{'feed':<18} {'department':<12} {'dataset':<20} {'format':<8} {'landing pattern':<26} files under data dir"
    lines = [header]
    for name, feed in sorted(feeds.items()):
        found = sum(len(list(settings.data_dir.glob(p))) for p in feed.data_files)
        lines.append(
            f"{name:<18} {feed.department:<12} {feed.dataset:<20} {feed.format.type:<8} {feed.landing_pattern:<26} {found}"
        )
    return "\n".join(lines)
