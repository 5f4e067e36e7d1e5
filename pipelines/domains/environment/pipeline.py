"""The air-quality jobs: ingest, clean (validate + cleanse + publish) and the AQI marts.

Each job maps one whole-partition function over the Dask workers (a partition is one station's
file) and moves back only counts and the names of the part files written; the client then publishes
each table in one atomic Delta commit that replaces exactly the partitions it covers.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipelines.compute import map_with_progress
from pipelines.config import Settings
from pipelines.domains.environment import marts
from pipelines.flows import clean as clean_flow
from pipelines.flows.clean import CleanSummary
from pipelines.lake.catalog import clean_dataset, produced_by
from pipelines.lake.delta import PartFile, PublishResult
from pipelines.lake.ingest import IngestReport
from pipelines.lake.runs import idempotency_key, write_run_record
from pipelines.lake.storage import Lake
from pipelines.sources.registry import get_source
from pipelines.sources.spec import FeedSpec

if TYPE_CHECKING:
    import distributed


log = logging.getLogger(__name__)

SOURCE_NAME = "air_beijing"
PIPELINE = "environment_aqi_marts"
AIR_QUALITY = clean_dataset("air_quality_hourly")
MARTS = {table.name: table for table in produced_by(PIPELINE)}


@dataclass(frozen=True)
class StagedMarts:
    """The marts of one station computed on a worker, their files written but not committed."""

    station: str
    parts: dict[str, list[PartFile]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


def feed() -> FeedSpec:
    """The air-quality feed (sources/air_beijing.yaml)."""
    return get_source(SOURCE_NAME)


def ingest(settings: Settings, run_id: str, arrived_at: dt.datetime) -> IngestReport:
    """landing -> raw for the air-quality feed."""
    return clean_flow.ingest(settings, feed(), run_id, arrived_at)


def clean(settings: Settings, run_id: str, client: distributed.Client) -> CleanSummary:
    """raw -> clean + quarantine for the stations whose file (or feed, suite, logic) changed, behind the gate."""
    return clean_flow.clean(settings, feed(), run_id, client)


def stage_marts_partition(station: str, settings: Settings, run_id: str, clean_version: int) -> StagedMarts:
    """On a worker: the hourly and daily AQI and the episodes of one station, written as part files."""
    lake = Lake(settings)
    hours = lake.read(AIR_QUALITY, version=clean_version, filters=[("station", "=", station)])
    hours = hours.sort_values("ts_utc").reset_index(drop=True)
    hourly = marts.hourly_aqi(hours)
    daily = marts.daily_aqi(hours)
    frames = {
        "air_aqi_hourly": hourly,
        "air_aqi_daily": daily,
        "air_pollution_episodes": marts.episodes(hourly),
        "air_aqi_monthly": marts.monthly_aqi(daily),
    }
    parts = {name: lake.stage(MARTS[name], frame, run_id) for name, frame in frames.items()}
    return StagedMarts(station, parts, {name: len(frame) for name, frame in frames.items()})


def build_marts(
    settings: Settings,
    run_id: str,
    client: distributed.Client,
    stations: list[str] | None = None,
) -> dict[str, dict[str, object]]:
    """clean -> curated: recompute the AQI marts of the given stations (all when None) and publish them."""
    lake = Lake(settings)
    version = lake.require(AIR_QUALITY, "run the environment_air_beijing_clean DAG first")
    present = lake.partition_values(AIR_QUALITY, "station", version)
    wanted = sorted(set(stations) & set(present)) if stations else present
    missing = sorted(set(stations or []) - set(present))
    if missing:
        log.warning("stations not in the clean dataset, skipped: %s", ", ".join(missing))
    staged: list[StagedMarts] = map_with_progress(
        client, stage_marts_partition, wanted, lambda s: f"AQI marts of {s}", settings, run_id, version
    )
    logic = sorted({table.logic_version for table in MARTS.values()})
    key = idempotency_key("marts", lake.uri(AIR_QUALITY), version, wanted, logic)
    published: dict[str, PublishResult] = {
        name: lake.commit(
            table,
            [p for s in staged for p in s.parts[name]],
            {"station": wanted},
            run_id,
            key,
            {"citylake.source_version": str(version)},
        )
        for name, table in MARTS.items()
    }
    result = {
        name: {
            "rows": sum(s.rows[name] for s in staged),
            "partitions": wanted,
            "table_version": published[name].version,
            "clean_version": version,
        }
        for name in MARTS
    }
    write_run_record(
        lake, PIPELINE, run_id, {"clean_version": version, "stations": wanted, "marts": result, "logic_versions": logic}
    )
    return result
