"""The registry of departmental feeds: every `sources/<name>.yaml`, checked when loaded.

The DAG factory and the tasks read the same validated models. A file that fails its check is kept out
with its message (file, key, problem): the other feeds still load, and `invalid_feeds()` says why.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipelines.config import PROJECT_ROOT
from pipelines.sources.spec import FeedConfigError, FeedSpec, load_feed

SOURCES_DIR = PROJECT_ROOT / "sources"


def sources_dir() -> Path:
    """Where the feed YAML files are: CITYLAKE_SOURCES_DIR, else the project's `sources/`."""
    return Path(os.environ.get("CITYLAKE_SOURCES_DIR") or SOURCES_DIR)


@dataclass(frozen=True)
class Registry:
    """The feeds of one folder: the valid ones by name, and each invalid file's problems."""

    feeds: dict[str, FeedSpec]
    invalid: dict[str, str]


@lru_cache(maxsize=8)
def _load(directory: str, signature: tuple[tuple[str, int, int], ...]) -> Registry:
    feeds: dict[str, FeedSpec] = {}
    invalid: dict[str, str] = {}
    for name, _, _ in signature:
        path = Path(directory) / name
        try:
            feeds[path.stem] = load_feed(path)
        except FeedConfigError as exc:
            invalid[path.name] = str(exc)
    return Registry(feeds, invalid)


def registry(directory: Path | None = None) -> Registry:
    """Every feed YAML of the folder, read and checked once per change of its files."""
    folder = directory or sources_dir()
    files = sorted(folder.glob("*.yaml"))
    return _load(str(folder), tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files))


def all_sources(directory: Path | None = None) -> dict[str, FeedSpec]:
    """Every registered feed by name; FeedConfigError naming every problem when any YAML is invalid."""
    found = registry(directory)
    if found.invalid:
        raise FeedConfigError("\n".join(found.invalid.values()))
    return found.feeds


def valid_sources(directory: Path | None = None) -> dict[str, FeedSpec]:
    """The feeds whose YAML is valid, by name (the invalid ones get no DAG; `invalid_feeds` says why)."""
    return registry(directory).feeds


def invalid_feeds(directory: Path | None = None) -> dict[str, str]:
    """Per invalid YAML file, its problems: file, key and problem on each line."""
    return registry(directory).invalid


def get_source(name: str, directory: Path | None = None) -> FeedSpec:
    """A registered feed by name, with the list of known ones when the name is wrong."""
    feeds = all_sources(directory)
    try:
        return feeds[name]
    except KeyError:
        nearest = difflib.get_close_matches(name, list(feeds), n=1)
        hint = f"did you mean {nearest[0]!r}? " if nearest else ""
        raise KeyError(f"unknown source {name!r}; {hint}registered: {', '.join(sorted(feeds))}") from None


def feeds_into(datasets: Iterable[str], directory: Path | None = None) -> list[FeedSpec]:
    """The feeds (their YAML says so) that deliver into these canonical datasets, by name."""
    wanted = set(datasets)
    return [feed for name, feed in sorted(all_sources(directory).items()) if feed.dataset in wanted]


def local_timezone(dataset: str, directory: Path | None = None) -> str:
    """The civil zone a dataset's local days and hours are counted in, as the feeds into it declare it
    (`time.local_timezone`, else `time.timezone`). A dataset whose feeds declare none, or disagree, is an error
    that says what to declare: a mart must not guess the city's clock."""
    zones: dict[str, str] = {}
    for feed in feeds_into([dataset], directory):
        zone = feed.civil_timezone
        if zone:
            zones[feed.name] = zone
    found = sorted(set(zones.values()))
    if len(found) == 1:
        return found[0]
    if not found:
        raise FeedConfigError(
            f"no feed into {dataset} declares its local time zone: add time.local_timezone to its feed YAML"
            " (or give the job's timezone parameter)"
        )
    raise FeedConfigError(
        f"the feeds into {dataset} declare different local time zones {zones}: give the job's timezone parameter"
    )
