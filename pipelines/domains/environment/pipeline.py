"""The air-quality jobs: ingest, clean (validate + cleanse + publish) and the AQI marts.

Each job maps one whole-partition function over the Dask workers (a partition is one station's
file) and moves back only counts and the names of the part files written; the client then publishes
each table in one atomic Delta commit that replaces exactly the partitions it covers.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from pipelines.compute import map_with_progress
from pipelines.config import Settings
from pipelines.domains.environment import air_quality, marts
from pipelines.lake import delta
from pipelines.lake.delta import PartFile, PublishResult
from pipelines.lake.ingest import IngestReport
from pipelines.lake.layout import Zone
from pipelines.lake.runs import code_version, idempotency_key, write_run_record
from pipelines.lake.storage import Lake
from pipelines.flows import clean as clean_flow
from pipelines.flows.clean import CleanSummary
from pipelines.sources.registry import get_source
from pipelines.sources.spec import FeedSpec

log = logging.getLogger(__name__)

SOURCE_NAME = "air_beijing"
MART_HOURLY = "air_aqi_hourly"
MART_DAILY = "air_aqi_daily"
MART_EPISODES = "air_pollution_episodes"
MARTS = {MART_HOURLY: marts.HOURLY_SCHEMA, MART_DAILY: marts.DAILY_SCHEMA, MART_EPISODES: marts.EPISODES_SCHEMA}
MART_PARTITION_BY = ("station",)


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


def clean(settings: Settings, run_id: str, client: "distributed.Client") -> CleanSummary:  # noqa: F821
    """raw -> clean + quarantine for the stations whose file (or feed, suite, code) changed, behind the gate."""
    return clean_flow.clean(settings, feed(), run_id, client)


def stage_marts_partition(station: str, settings: Settings, run_id: str, clean_version: int) -> StagedMarts:
    """On a worker: the hourly and daily AQI and the episodes of one station, written as part files."""
    from deltalake import DeltaTable

    lake = Lake(settings)
    table = DeltaTable(
        lake.layout.table(Zone.CLEAN, air_quality.DATASET), version=clean_version, storage_options=lake.storage_options()
    )
    hours = table.to_pandas(filters=[("station", "=", station)])
    hours = hours.sort_values("ts_utc").reset_index(drop=True)
    hourly = marts.hourly_aqi(hours)
    frames = {MART_HOURLY: hourly, MART_DAILY: marts.daily_aqi(hours), MART_EPISODES: marts.episodes(hourly)}
    parts = {
        name: delta.write_parts(
            lake, lake.layout.table(Zone.CURATED, name), delta.arrow_table(frame, MARTS[name]), MART_PARTITION_BY, run_id
        )
        for name, frame in frames.items()
    }
    return StagedMarts(station, parts, {name: len(frame) for name, frame in frames.items()})


def build_marts(
    settings: Settings, run_id: str, client: "distributed.Client", stations: list[str] | None = None  # noqa: F821
) -> dict[str, dict[str, object]]:
    """clean -> curated: recompute the AQI marts of the given stations (all when None) and publish them."""
    from deltalake import DeltaTable

    lake = Lake(settings)
    clean_uri = delta.require_table(lake, lake.layout.table(Zone.CLEAN, air_quality.DATASET),
                                    "run the environment_air_beijing_clean DAG first")
    clean_table = DeltaTable(clean_uri, storage_options=lake.storage_options())
    version = clean_table.version()
    present = sorted({p["station"] for p in clean_table.partitions()})
    wanted = sorted(set(stations) & set(present)) if stations else present
    missing = sorted(set(stations or []) - set(present))
    if missing:
        log.warning("stations not in the clean dataset, skipped: %s", ", ".join(missing))
    staged: list[StagedMarts] = map_with_progress(
        client, stage_marts_partition, wanted, lambda s: f"AQI marts of {s}", settings, run_id, version
    )
    key = idempotency_key("marts", clean_uri, version, wanted, code_version())
    published: dict[str, PublishResult] = {}
    for name, schema in MARTS.items():
        published[name] = delta.commit_parts(
            lake, lake.layout.table(Zone.CURATED, name), schema, MART_PARTITION_BY,
            [p for s in staged for p in s.parts[name]], {"station": wanted}, run_id, key,
            {"citylake.source_version": str(version)},
        )
    result = {
        name: {
            "rows": sum(s.rows[name] for s in staged),
            "partitions": wanted,
            "table_version": published[name].version,
            "clean_version": version,
        }
        for name in MARTS
    }
    write_run_record(lake, "environment_aqi_marts", run_id, {"clean_version": version, "stations": wanted, "marts": result})
    return result

