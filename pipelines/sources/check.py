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
from pipelines.sources.standardize import AWARE, Standardized, required_source_columns, standardize
from pipelines.validate.suite import load_suite


def try_feed(feed: FeedSpec, sample: Path, content: bytes, settings: Settings) -> Standardized:
    """Standardize a local sample file (its bytes read once) with a feed's YAML and suite, in memory."""
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


def sample_records(feed: FeedSpec, content: bytes) -> pd.DataFrame:
    """The sample's records as delivered (empty when the file cannot be read: the report says why)."""
    try:
        return read_records(content, feed, required_source_columns(feed)).records
    except FileRejected:
        return pd.DataFrame()


def coordinate_warnings(feed: FeedSpec, records: pd.DataFrame) -> list[str]:
    """A warning when the sample's coordinates look projected (metres, feet) but the feed declares degrees."""
    if feed.coordinates is None or is_projected(feed.coordinates.crs):
        return []
    if not {feed.coordinates.latitude, feed.coordinates.longitude} <= set(records.columns):
        return []
    lat = pd.to_numeric(records[feed.coordinates.latitude], errors="coerce").to_numpy()
    lon = pd.to_numeric(records[feed.coordinates.longitude], errors="coerce").to_numpy()
    if not look_projected(lat, lon):
        return []
    known = ~(np.isnan(lat) | np.isnan(lon))
    example = f"({lat[known][0]:g}, {lon[known][0]:g})"
    return [
        f"warning: coordinates look projected, e.g. {example} lies beyond +-90 / +-180, but the feed declares "
        f"{feed.coordinates.crs} degrees: set coordinates.crs to the department's EPSG code (EPSG:32650 for UTM 50N, "
        "EPSG:3435 for Illinois East ftUS, EPSG:27700 for the British National Grid), latitude = y, longitude = x"
    ]


def _carried_offset(text: str) -> pd.Timedelta:
    marker = AWARE.search(text)
    if marker is None or marker.group(0) == "Z":
        return pd.Timedelta(0)
    digits = marker.group(0).replace(":", "")
    sign = -1 if digits[0] == "-" else 1
    return sign * pd.Timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5]))


def offset_warnings(feed: FeedSpec, records: pd.DataFrame) -> list[str]:
    """A warning when most sample times carry an offset, and most of those are not their declared zone's then."""
    time = feed.time
    if time is None or time.column is None or time.timezone is None or time.offsets == "ignore":
        return []
    if time.column not in records.columns:
        return []
    values = records[time.column]
    given = [str(v).strip() for v in values.dropna()]
    texts = [t for t in given if AWARE.search(t)]
    if len(texts) * 2 <= len(given):  # mostly naive: the odd value with an offset is read as it says
        return []
    instants = pd.to_datetime(pd.Series(texts, dtype=object), format=time.format or "ISO8601", errors="coerce", utc=True)
    carried = [_carried_offset(t) for t, at in zip(texts, instants) if not pd.isna(at)]
    zone = [at.tz_convert(time.timezone).utcoffset() for at in instants.dropna()]
    contradicting = [(c, z) for c, z in zip(carried, zone) if c != z]
    if not carried or len(contradicting) * 2 <= len(carried):
        return []
    (have, expected), *_ = contradicting
    return [
        f"warning: {len(contradicting)} of {len(carried)} times carry the offset {_hours(have)} although "
        f"{time.timezone} is {_hours(expected)} at those instants (the hour-of-day profile shifts by "
        f"{_hours(expected - have)}): if the department exports local clock times with a Z or an offset, declare "
        "time.offsets: ignore"
    ]


def _hours(offset: pd.Timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def check_report(feed: FeedSpec, sample: Path, settings: Settings, rows: int = 5) -> str:
    """A readable report: counts, quarantine by reason with examples, and the first mapped rows."""
    content = sample.read_bytes()
    result = try_feed(feed, sample, content, settings)
    lines = [
        f"feed {feed.name} -> {feed.dataset} (suite {feed.suite}) on {sample}",
        f"rows in {result.rows_in:,}: clean {len(result.clean):,}, quarantined {len(result.rejects):,},"
        f" deduplicated {result.rows_deduplicated:,}"
        + (f", gaps {result.gaps:,}" if result.gaps else "")
        + (f"; encoding {result.encoding}" if result.encoding else ""),
    ]
    lines += [f"note: {note}" for note in result.notes]
    records = sample_records(feed, content)  # the delivered values, before any conversion
    lines += coordinate_warnings(feed, records) + offset_warnings(feed, records)
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
