"""The registry of departmental feeds: every `sources/<name>.yaml`, checked when loaded."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from pipelines.config import PROJECT_ROOT
from pipelines.sources.spec import FeedConfigError, FeedSpec, load_feed

SOURCES_DIR = PROJECT_ROOT / "sources"


@lru_cache(maxsize=4)
def _load_all(directory: str) -> dict[str, FeedSpec]:
    feeds: dict[str, FeedSpec] = {}
    errors = []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            feeds[path.stem] = load_feed(path)
        except FeedConfigError as exc:
            errors.append(str(exc))
    if errors:
        raise FeedConfigError("\n".join(errors))
    return feeds


def all_sources(directory: Path = SOURCES_DIR) -> dict[str, FeedSpec]:
    """Every registered feed by name (all YAML files must be valid)."""
    return _load_all(str(directory))


def get_source(name: str, directory: Path = SOURCES_DIR) -> FeedSpec:
    """A registered feed by name, with the list of known ones when the name is wrong."""
    feeds = all_sources(directory)
    try:
        return feeds[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; registered: {', '.join(sorted(feeds))}") from None


def feeds_into(datasets: Iterable[str], directory: Path = SOURCES_DIR) -> list[FeedSpec]:
    """The feeds (their YAML says so) that deliver into these canonical datasets, by name."""
    wanted = set(datasets)
    return [feed for name, feed in sorted(all_sources(directory).items()) if feed.dataset in wanted]
