"""The air-quality jobs: ingest, clean (validate + cleanse + publish) and the AQI marts.

Each job maps one whole-partition function over the Dask workers (a partition is one station's
file) and moves back only counts and the names of the part files written; the client then publishes
each table in one atomic Delta commit that replaces exactly the partitions it covers.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass, field, replace

from pipelines.compute import map_with_progress
from pipelines.config import Settings
from pipelines.domains.environment import air_quality, marts
from pipelines.lake import delta
from pipelines.lake.delta import PartFile, PublishResult
from pipelines.lake.ingest import IngestReport, RawFile, current_raw_files, ingest_landing
from pipelines.lake.layout import Zone
from pipelines.lake.ledger import published_processing_keys, read_ledger, record_ledger
from pipelines.lake.runs import code_version, idempotency_key, write_run_record
from pipelines.lake.storage import Lake
from pipelines.sources.registry import AIR_BEIJING
from pipelines.validate import quarantine
from pipelines.validate.gate import PartitionQuality, check_gate
from pipelines.validate.suite import GxOutcome, load_suite, validate_with_gx

log = logging.getLogger(__name__)

SOURCE = AIR_BEIJING
MART_HOURLY = "air_aqi_hourly"
MART_DAILY = "air_aqi_daily"
MART_EPISODES = "air_pollution_episodes"
MARTS = {MART_HOURLY: marts.HOURLY_SCHEMA, MART_DAILY: marts.DAILY_SCHEMA, MART_EPISODES: marts.EPISODES_SCHEMA}
MART_PARTITION_BY = ("station",)


@dataclass(frozen=True)
class StagedClean:
    """One partition validated and cleansed on a worker, its files written but not committed."""

    quality: PartitionQuality
    clean_parts: list[PartFile]
    quarantine_parts: list[PartFile]


@dataclass(frozen=True)
class CleanSummary:
    """What a clean run published: the metadata of the clean dataset's asset event."""

    dataset: str
    run_id: str
    partitions: list[str]
    rows_in: int
    rows_clean: int
    rows_quarantined: int
    rows_deduplicated: int
    quarantined_by_reason: dict[str, int]
    table_version: int
    skipped_as_duplicate: bool

    def as_metadata(self) -> dict[str, object]:
        """Plain types for XCom and asset-event extras."""
        return asdict(self)


@dataclass(frozen=True)
class StagedMarts:
    """The marts of one station computed on a worker, their files written but not committed."""

    station: str
    parts: dict[str, list[PartFile]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


def ingest(settings: Settings, run_id: str, arrived_at: dt.datetime) -> IngestReport:
    """landing -> raw for the air-quality source."""
    lake = Lake(settings)
    lake.ensure_exists()
    report = ingest_landing(lake, SOURCE, run_id, arrived_at)
    log.info("ingest: %d new file version(s), %d unchanged", len(report.new), len(report.unchanged))
    return report


def stage_clean_partition(raw: RawFile, settings: Settings, run_id: str) -> StagedClean:
    """On a worker: cleanse and validate one station's file, write clean and quarantine part files."""
    lake = Lake(settings)
    suite = load_suite(SOURCE.suite)
    station = air_quality.station_of(raw.file_name)
    result = air_quality.cleanse_prsa(lake.read_bytes(raw.raw_path), raw.file_name, station, suite, SOURCE.timezone)
    gx = validate_with_gx(result.clean, suite) if len(result.clean) else GxOutcome(True, 0, [])
    clean_parts = delta.write_parts(
        lake, lake.layout.table(Zone.CLEAN, air_quality.DATASET), delta.arrow_table(result.clean, air_quality.CLEAN_SCHEMA),
        air_quality.PARTITION_BY, run_id,
    )
    rejected = quarantine.quarantine_rows(result.rejects, station, raw.file_name, raw.sha256, run_id)
    quarantine_parts = delta.write_parts(
        lake, lake.layout.table(Zone.QUARANTINE, air_quality.DATASET), rejected, quarantine.PARTITION_BY, run_id
    )
    quality = PartitionQuality(
        dataset=air_quality.DATASET,
        partition=station,
        source_file=raw.file_name,
        source_sha256=raw.sha256,
        rows_in=result.rows_in,
        rows_clean=len(result.clean),
        rows_quarantined=len(result.rejects),
        rows_deduplicated=result.rows_deduplicated,
        quarantined_by_reason=quarantine.count_by_reason(result.rejects),
        gaps=result.hours_missing,
        gx_success=gx.success,
        gx_failures=tuple(gx.failed),
    )
    return StagedClean(quality, clean_parts, quarantine_parts)


def clean(settings: Settings, run_id: str, client: "distributed.Client") -> CleanSummary:  # noqa: F821
    """raw -> clean + quarantine for the stations whose latest file (or suite, or code) is not yet published.

    Behind the quality gate; then the ledger. Stations already published from the same input stay untouched.
    """
    lake = Lake(settings)
    lake.ensure_exists()
    suite = load_suite(SOURCE.suite)
    raws = current_raw_files(lake, SOURCE)
    if not raws:
        raise RuntimeError(
            f"no raw files for source {SOURCE.name}: deliver files to {lake.layout.landing_dir(SOURCE.name)} and run the ingest"
        )
    station = {r.file_name: air_quality.station_of(r.file_name) for r in raws}
    processing_keys = {
        station[r.file_name]: idempotency_key("clean", air_quality.DATASET, r.sha256, suite.fingerprint, code_version())
        for r in raws
    }
    published = published_processing_keys(lake, air_quality.DATASET)
    todo = [r for r in raws if published.get(station[r.file_name]) != processing_keys[station[r.file_name]]]
    clean_uri = lake.layout.table(Zone.CLEAN, air_quality.DATASET)
    quarantine_uri = lake.layout.table(Zone.QUARANTINE, air_quality.DATASET)
    if not todo:
        log.info("every station's latest file was already published by this code and suite: nothing to do")
        return _summary_from_ledger(lake, run_id, delta.table_version(lake, clean_uri))
    log.info("%d of %d station(s) have new data or new rules: %s", len(todo), len(raws), ", ".join(r.file_name for r in todo))
    key = idempotency_key(sorted(processing_keys[station[r.file_name]] for r in todo))
    staged: list[StagedClean] = map_with_progress(
        client, stage_clean_partition, todo, lambda r: f"cleanse {r.file_name}", settings, run_id
    )
    all_parts = [p for s in staged for p in (*s.clean_parts, *s.quarantine_parts)]
    qualities = [replace(s.quality, processing_key=processing_keys[s.quality.partition]) for s in staged]
    try:
        check_gate(qualities, suite)
    except Exception:
        delta.discard_parts(lake, all_parts)
        raise
    stations = sorted(q.partition for q in qualities)
    published_quarantine = delta.commit_parts(
        lake, quarantine_uri, quarantine.QUARANTINE_SCHEMA,
        quarantine.PARTITION_BY, [p for s in staged for p in s.quarantine_parts],
        {"source_partition": stations}, run_id, key,
    )
    published_clean = delta.commit_parts(
        lake, clean_uri, air_quality.CLEAN_SCHEMA,
        air_quality.PARTITION_BY, [p for s in staged for p in s.clean_parts],
        {"station": stations}, run_id, key,
    )
    if not published_clean.skipped_as_duplicate:
        record_ledger(lake, qualities, run_id)
    summary = _summarize(qualities, run_id, published_clean.version, published_clean.skipped_as_duplicate)
    write_run_record(
        lake, "environment_air_clean", run_id,
        {
            "inputs": [asdict(r) for r in todo],
            "suite": {"name": suite.name, "fingerprint": suite.fingerprint},
            "ledger": [asdict(q) for q in qualities],
            "published": [asdict(published_clean), asdict(published_quarantine)],
            "summary": summary.as_metadata(),
        },
    )
    return summary


def _summarize(qualities: list[PartitionQuality], run_id: str, version: int, skipped: bool) -> CleanSummary:
    """Totals over the partitions of one clean run."""
    reasons: dict[str, int] = {}
    for q in qualities:
        for code, n in q.quarantined_by_reason.items():
            reasons[code] = reasons.get(code, 0) + n
    return CleanSummary(
        dataset=air_quality.DATASET,
        run_id=run_id,
        partitions=sorted(q.partition for q in qualities),
        rows_in=sum(q.rows_in for q in qualities),
        rows_clean=sum(q.rows_clean for q in qualities),
        rows_quarantined=sum(q.rows_quarantined for q in qualities),
        rows_deduplicated=sum(q.rows_deduplicated for q in qualities),
        quarantined_by_reason=dict(sorted(reasons.items())),
        table_version=version,
        skipped_as_duplicate=skipped,
    )


def _summary_from_ledger(lake: Lake, run_id: str, version: int) -> CleanSummary:
    """The summary of the last publish, for a run that found nothing new to do."""
    ledger = read_ledger(lake, air_quality.DATASET)
    qualities = [
        PartitionQuality(
            dataset=row.dataset, partition=row.source_partition, source_file=row.source_file,
            source_sha256=row.source_sha256, rows_in=int(row.rows_in), rows_clean=int(row.rows_clean),
            rows_quarantined=int(row.rows_quarantined), rows_deduplicated=int(row.rows_deduplicated),
            quarantined_by_reason=json.loads(row.quarantined_by_reason), gaps=int(row.gaps),
            processing_key=row.processing_key,
        )
        for row in ledger.itertuples(index=False)
    ]
    return _summarize(qualities, run_id, version, skipped=True)


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
    clean_uri = lake.layout.table(Zone.CLEAN, air_quality.DATASET)
    if not delta.table_exists(lake, clean_uri):
        raise RuntimeError(f"the clean dataset {air_quality.DATASET} has not been published yet ({clean_uri})")
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

