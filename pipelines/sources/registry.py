"""Registered departmental feeds. (The configuration-file registry of the feeds issue grows from here.)"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceSpec:
    """One departmental feed: where its files land and which canonical dataset they feed."""

    name: str
    department: str
    description: str
    dataset: str
    suite: str
    landing_pattern: str
    data_subdir: str
    timezone: str
    origin: str
    header_lines: int = 1


AIR_BEIJING = SourceSpec(
    name="air_beijing",
    department="environment",
    description="Hourly air quality and weather at Beijing monitoring stations, one CSV per station",
    dataset="air_quality_hourly",
    suite="air_quality_hourly",
    landing_pattern="*PRSA_Data_*.csv",
    data_subdir="air/beijing",
    timezone="Asia/Shanghai",
    origin='UCI Machine Learning Repository, "Beijing Multi-Site Air Quality" (Zhang et al. 2017), CC BY 4.0',
)

SOURCES: dict[str, SourceSpec] = {s.name: s for s in (AIR_BEIJING,)}


def get_source(name: str) -> SourceSpec:
    """A registered source by name, with the list of known ones when the name is wrong."""
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; registered: {', '.join(sorted(SOURCES))}") from None
