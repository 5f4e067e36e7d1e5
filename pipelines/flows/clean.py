"""The clean job of any feed: landing -> raw, then raw -> clean + quarantine behind the quality gate.

Each raw file is standardized on a Dask worker (`stage_file`), which writes part files and returns only
counts and file names; the client checks the gate and publishes each table in one atomic Delta commit.
Only the files whose version (or feed YAML, suite, clean logic) changed are reprocessed, and only their partitions
are replaced (see `replaced_by_file`): a late or corrected delivery reopens nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipelines.compute import map_with_progress
from pipelines.config import Settings
from pipelines.flows.split import Standardized, plan_split, splits, standardize_split
from pipelines.lake import delta
from pipelines.lake.catalog.meta import quarantine_of
from pipelines.lake.delta import PartFile
from pipelines.lake.ingest import GZIP_MAGIC, IngestReport, RawFile, current_raw_files, ingest_landing
from pipelines.lake.ledger import PartitionQuality, published_processing_keys, read_ledger, record_ledger
from pipelines.lake.runs import idempotency_key, write_run_record
from pipelines.lake.storage import Lake
from pipelines.sources.context import feed_context
from pipelines.sources.readers import FileRejected
from pipelines.sources.spec import FeedSpec
from pipelines.sources.standardize import standardize
from pipelines.sources.streaming import bucket_count, standardize_stream, streamable
from pipelines.validate import quarantine
from pipelines.validate.data_docs import ValidationEntry, data_docs_page, index_page, summary
from pipelines.validate.gate import QualityGateError, check_gate
from pipelines.validate.suite import GxOutcome, Suite, load_suite, validate_with_gx

if TYPE_CHECKING:
    import distributed


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StagedFile:
    """One raw file standardized and validated on a worker, its part files written but not committed."""

    quality: PartitionQuality
    clean_parts: list[PartFile]
    quarantine_parts: list[PartFile]
    validations: tuple[ValidationEntry, ...] = ()  # GX's results on its rows, kept with their Data Docs pages


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
    deduplicated_by_reason: dict[str, int] = field(default_factory=dict)

    def as_metadata(self) -> dict[str, object]:
        """Plain types for XCom and asset-event extras."""
        return asdict(self)


def partition_of(feed: FeedSpec, file_name: str) -> str:
    """The ledger/quarantine partition of a file: its file-key value, else its name."""
    return feed.file_partition(file_name) or file_name


def latest_per_partition(feed: FeedSpec, raws: list[RawFile]) -> list[RawFile]:
    """One file per partition: a station delivered again under a new file name supersedes its older file."""
    latest: dict[str, RawFile] = {}
    for raw in raws:
        partition = partition_of(feed, raw.file_name)
        known = latest.get(partition)
        if known is None or (raw.arrived_at, raw.file_name) > (known.arrived_at, known.file_name):
            if known is not None:
                log.info("%s supersedes %s (both hold %s)", raw.file_name, known.file_name, partition)
            latest[partition] = raw
    return [latest[p] for p in sorted(latest)]


def replaced_by_file(feed: FeedSpec) -> str | None:
    """The clean table's partition column whose values are the files a run replaces (None: rebuilt whole).

    A dataset partitioned by the feed's file key (a station per file) replaces those partitions; a dataset
    with no partition key of its own is laid out by `source_file` (the catalog's storage layout), so a
    re-delivered file replaces only its own rows; any other layout is rebuilt whole from the current files.
    """
    dataset = feed.canonical
    if dataset.storage_partition_by == ("source_file",):
        return "source_file"
    if feed.file_key is not None and dataset.partition_by == (feed.file_key.column,):
        return feed.file_key.column
    return None


def ingest(settings: Settings, feed: FeedSpec, run_id: str, arrived_at: dt.datetime) -> IngestReport:
    """landing -> raw for one feed."""
    lake = Lake(settings)
    lake.ensure_exists()
    report = ingest_landing(lake, feed, run_id, arrived_at)
    log.info("ingest %s: %d new file version(s), %d unchanged", feed.name, len(report.new), len(report.unchanged))
    return report


def stage_file(raw: RawFile, feed: FeedSpec, settings: Settings, run_id: str) -> StagedFile:
    """On a worker: standardize and validate one raw file, write clean and quarantine part files."""
    chunk_bytes = int(settings.chunk_mib * 2**20)
    if streamable(feed) and raw.bytes > chunk_bytes:
        outcome = _stage_in_chunks(raw, feed, settings, run_id, chunk_bytes)
    else:
        outcome = _stage_whole(raw, feed, settings, run_id)
    return staged_file(Lake(settings), raw, feed, run_id, outcome)


def staged_file(lake: Lake, raw: RawFile, feed: FeedSpec, run_id: str, outcome: Standardized) -> StagedFile:
    """A standardized file's quarantine part files, ledger row and GX results written: ready to commit."""
    dataset = feed.canonical
    partition = partition_of(feed, raw.file_name)
    rejected = quarantine.quarantine_rows(dataset, outcome.rejects, partition, raw.file_name, raw.sha256, run_id)
    quarantine_parts = lake.stage(quarantine_of(dataset), rejected, run_id)
    quality = PartitionQuality(
        dataset=dataset.name,
        partition=partition,
        source_file=raw.file_name,
        source_sha256=raw.sha256,
        rows_in=outcome.rows_in,
        rows_clean=outcome.rows_clean,
        rows_quarantined=len(outcome.rejects),
        rows_deduplicated=outcome.rows_deduplicated,
        deduplicated_by_reason=dict(sorted(outcome.deduplicated_by_reason.items())),
        quarantined_by_reason=quarantine.count_by_reason(outcome.rejects),
        gaps=outcome.gaps,
        gx_success=not outcome.gx_failures,
        gx_failures=tuple(outcome.gx_failures),
    )
    kept = _keep_validations(lake, dataset.name, raw.file_name, run_id, outcome.validations)
    return StagedFile(quality, outcome.clean_parts, quarantine_parts, kept)


def stage_files(
    client: distributed.Client, todo: list[RawFile], feed: FeedSpec, settings: Settings, run_id: str
) -> list[StagedFile]:
    """Every file standardized on the workers: one task per file, except that a file larger than a chunk is cut into
    pieces that every worker standardizes at once (pipelines.flows.split), when there are several workers."""
    workers = sum(client.nthreads().values())
    large = [r for r in todo if splits(r, feed, settings, workers)]
    plans = dict(
        zip(
            [r.file_name for r in large],
            map_with_progress(
                client, plan_split, large, lambda r: f"plan the pieces of {r.file_name}", feed, settings, run_id, workers
            ),
        )
    )
    by_one_worker = [r for r in todo if plans.get(r.file_name) is None]
    staged: list[StagedFile] = map_with_progress(
        client, stage_file, by_one_worker, lambda r: f"standardize {r.file_name}", feed, settings, run_id
    )
    lake = Lake(settings)
    for raw in todo:
        plan = plans.get(raw.file_name)
        if plan is not None:
            staged.append(staged_file(lake, raw, feed, run_id, standardize_split(client, raw, feed, settings, run_id, plan)))
    return staged


def _keep_validations(
    lake: Lake, dataset: str, file_name: str, run_id: str, documents: list[dict[str, Any]]
) -> tuple[ValidationEntry, ...]:
    """Write GX's results on a file's rows (one per chunk) and their Data Docs pages; their index lines."""
    folder = lake.layout.validations_dir(dataset, run_id)
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", file_name)
    entries = []
    for number, document in enumerate(documents, start=1):
        name = stem if len(documents) == 1 else f"{stem}.part{number:03d}"
        lake.write_bytes(f"{folder}/{name}.json", json.dumps(document).encode())
        lake.write_bytes(f"{folder}/{name}.html", data_docs_page(document).encode())
        entries.append(summary(document, f"{name}.html", file_name))
    return tuple(entries)


def _stage_whole(raw: RawFile, feed: FeedSpec, settings: Settings, run_id: str) -> Standardized:
    """The whole file in memory at once (small files, and formats that are not one record per line)."""
    lake = Lake(settings)
    suite = load_suite(feed.suite)
    result = standardize(lake.read_bytes(raw.raw_path), feed, suite, feed_context(feed, settings, raw))
    gx = validate_with_gx(result.clean, suite, feed.canonical.names) if len(result.clean) else GxOutcome(True, 0, [])
    return Standardized(
        result.rows_in,
        len(result.clean),
        result.rows_deduplicated,
        result.gaps,
        result.rejects,
        lake.stage(feed.canonical, result.clean, run_id),
        list(gx.failed),
        result.deduplicated_by_reason,
        result.validations,
    )


def _stage_in_chunks(raw: RawFile, feed: FeedSpec, settings: Settings, run_id: str, chunk_bytes: int) -> Standardized:
    """A large file in bounded memory: chunk by chunk, each bucket of keys validated and written on its own."""
    lake = Lake(settings)
    suite = load_suite(feed.suite)
    parts: list[PartFile] = []
    failures: list[str] = []

    def write_bucket(clean: pd.DataFrame) -> None:
        failures.extend(validate_with_gx(clean, suite, feed.canonical.names).failed)
        parts.extend(lake.stage(feed.canonical, clean, run_id))

    with lake.fs.open(raw.raw_path, "rb") as probe:
        compressed = probe.read(2) == GZIP_MAGIC
    try:
        result = standardize_stream(
            lambda: lake.fs.open(raw.raw_path, "rb"),
            feed,
            suite,
            feed_context(feed, settings, raw),
            write_bucket,
            chunk_bytes,
            bucket_count(raw.bytes, chunk_bytes, compressed),
        )
    except FileRejected as error:
        delta.discard_parts(lake, parts)
        return Standardized.rejected(error)
    log.info("%s: %d chunks of about %d MiB", raw.file_name, result.chunks, chunk_bytes // 2**20)
    return Standardized(
        result.rows_in,
        result.rows_clean,
        result.rows_deduplicated,
        result.gaps,
        result.rejects,
        parts,
        sorted(set(failures)),
        result.deduplicated_by_reason,
        result.validations,
    )


class NothingDelivered(RuntimeError):
    """The feed has never delivered a file: there is nothing to clean."""


@dataclass(frozen=True)
class _Work:
    """The feed's current raw files (latest per partition), each one's processing key, and those not yet published."""

    raws: list[RawFile]
    keys: dict[str, str]
    changed: list[RawFile]
    feed_fingerprint: str


def _work(lake: Lake, feed: FeedSpec, suite: Suite) -> _Work:
    """What a clean run has to do, read from the raw manifests and the ledger only (no Dask, no data read)."""
    dataset = feed.canonical
    raws = current_raw_files(lake, feed)
    if not raws:
        raise NothingDelivered(
            f"no raw files for source {feed.name}: deliver files to {lake.layout.landing_dir(feed.name)} and run the ingest"
        )
    raws = latest_per_partition(feed, raws)
    feed_fingerprint = idempotency_key(feed.model_dump(mode="json"))
    keys = {
        partition_of(feed, r.file_name): idempotency_key(
            "clean", dataset.name, r.sha256, feed_fingerprint, suite.fingerprint, dataset.logic_version
        )
        for r in raws
    }
    published = published_processing_keys(lake, dataset.name)
    changed = [r for r in raws if published.get(partition_of(feed, r.file_name)) != keys[partition_of(feed, r.file_name)]]
    return _Work(raws, keys, changed, feed_fingerprint)


def pending_files(settings: Settings, feed: FeedSpec) -> list[str]:
    """The files a clean run would process now (empty: everything is published by this logic, feed and suite).

    Cheap: a scheduled run with nothing new answers from this without starting Dask.
    """
    return [r.file_name for r in _work(Lake(settings), feed, load_suite(feed.suite)).changed]


def clean(settings: Settings, feed: FeedSpec, run_id: str, client: distributed.Client) -> CleanSummary:
    """raw -> clean + quarantine for the files whose version, feed YAML, suite or clean logic is not yet published."""
    lake = Lake(settings)
    lake.ensure_exists()
    suite = load_suite(feed.suite)
    dataset = feed.canonical
    work = _work(lake, feed, suite)
    raws, keys, changed, feed_fingerprint = work.raws, work.keys, work.changed, work.feed_fingerprint
    scope_column = replaced_by_file(feed)
    if not changed:
        log.info("%s: every file's latest version was already published by this logic, feed and suite", dataset.name)
        return _summary_from_ledger(lake, dataset.name, run_id, lake.version(dataset))
    # laid out by file: only the changed files; otherwise the whole table is rebuilt from every current file
    todo = changed if scope_column else raws
    log.info("%s: %d of %d file(s) to process", dataset.name, len(todo), len(raws))
    staged = stage_files(client, todo, feed, settings, run_id)
    qualities = [replace(s.quality, processing_key=keys[s.quality.partition]) for s in staged]
    data_docs = f"{lake.layout.validations_dir(dataset.name, run_id)}/index.html"
    entries = [entry for s in staged for entry in s.validations]
    lake.write_bytes(data_docs, index_page(dataset.name, run_id, suite.name, entries).encode())
    try:
        check_gate(qualities, suite)
    except QualityGateError as exc:
        delta.discard_parts(lake, [p for s in staged for p in (*s.clean_parts, *s.quarantine_parts)])
        raise QualityGateError(f"{exc}\nGreat Expectations' Data Docs of this run: {data_docs}") from None
    except Exception:
        delta.discard_parts(lake, [p for s in staged for p in (*s.clean_parts, *s.quarantine_parts)])
        raise
    partitions = sorted(q.partition for q in qualities)
    key = idempotency_key(sorted(keys[p] for p in partitions))
    clean_scope = {scope_column: partitions} if scope_column else None
    quarantine_scope = {"source_partition": partitions} if scope_column else None
    for raw in todo:  # the lineage of both commits: the raw file versions this run standardized
        lake.record_input(raw.raw_path, raw.sha256)
    published_quarantine = lake.commit(
        quarantine_of(dataset), [p for s in staged for p in s.quarantine_parts], quarantine_scope, run_id, key
    )
    published_clean = lake.commit(dataset, [p for s in staged for p in s.clean_parts], clean_scope, run_id, key)
    # also when the tables already carry this key: a run that failed between those commits and this one
    # (an S3 outage, a crash) left them published without their ledger rows, which is why this run had work
    record_ledger(lake, qualities, run_id, replace_dataset=scope_column is None)
    summary = _summarize(dataset.name, qualities, run_id, published_clean.version, published_clean.skipped_as_duplicate)
    write_run_record(
        lake,
        f"{feed.name}_clean",
        run_id,
        {
            "feed": feed.name,
            "inputs": [asdict(r) for r in todo],
            "suite": {"name": suite.name, "fingerprint": suite.fingerprint},
            "logic_version": dataset.logic_version,
            "feed_fingerprint": feed_fingerprint,
            "ledger": [asdict(q) for q in qualities],
            "published": [asdict(published_clean), asdict(published_quarantine)],
            "summary": summary.as_metadata(),
        },
    )
    return summary


def _summarize(dataset: str, qualities: list[PartitionQuality], run_id: str, version: int, skipped: bool) -> CleanSummary:
    """Totals over the partitions of one clean run."""
    reasons: dict[str, int] = {}
    dropped: dict[str, int] = {}
    for q in qualities:
        for code, n in q.quarantined_by_reason.items():
            reasons[code] = reasons.get(code, 0) + n
        for why, n in q.deduplicated_by_reason.items():
            dropped[why] = dropped.get(why, 0) + n
    return CleanSummary(
        dataset=dataset,
        run_id=run_id,
        partitions=sorted(q.partition for q in qualities),
        rows_in=sum(q.rows_in for q in qualities),
        rows_clean=sum(q.rows_clean for q in qualities),
        rows_quarantined=sum(q.rows_quarantined for q in qualities),
        rows_deduplicated=sum(q.rows_deduplicated for q in qualities),
        quarantined_by_reason=dict(sorted(reasons.items())),
        table_version=version,
        skipped_as_duplicate=skipped,
        deduplicated_by_reason=dict(sorted(dropped.items())),
    )


def _summary_from_ledger(lake: Lake, dataset: str, run_id: str, version: int) -> CleanSummary:
    """The summary of the last publish, for a run that found nothing new to do."""
    ledger = read_ledger(lake, dataset)
    qualities = [
        PartitionQuality(
            dataset=row.dataset,
            partition=row.source_partition,
            source_file=row.source_file,
            source_sha256=row.source_sha256,
            rows_in=int(row.rows_in),
            rows_clean=int(row.rows_clean),
            rows_quarantined=int(row.rows_quarantined),
            rows_deduplicated=int(row.rows_deduplicated),
            quarantined_by_reason=json.loads(row.quarantined_by_reason),
            deduplicated_by_reason=json.loads(getattr(row, "deduplicated_by_reason", None) or "{}"),  # older ledgers
            gaps=int(row.gaps),
            processing_key=row.processing_key,
        )
        for row in ledger.itertuples(index=False)
    ]
    return _summarize(dataset, qualities, run_id, version, skipped=True)
