"""One large file standardized by every worker at once: pieces, then buckets, meeting in the lake.

A file read in chunks (pipelines.sources.streaming) runs on one worker. An uncompressed file larger than a chunk
is instead cut into pieces of whole records (`plan_split`, one pass counting quotes and line ends), at most a chunk
each and as many as the workers take in equal rounds (`piece_bytes`). Each piece is standardized on a worker of its
own (`stage_piece`: every check but dedup) and its rows are spread over buckets by a hash of their key, written
under the lake's `_meta/spill/`; then each bucket, holding every row of its keys, is deduplicated, validated and
written as clean part files (`stage_bucket`). The client adds up the counts (`standardize_split`) and removes the
spill. Memory stays bounded by a chunk per task; the outcome equals the chunked path's, which equals `standardize`
on the whole file. The plan reads the file once more than the chunked path does (to find where records end).
"""

from __future__ import annotations

import io
import logging
import math
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow.parquet as pq

from pipelines.cleanse.records import LINE, rejects_frame
from pipelines.compute import map_with_progress
from pipelines.config import Settings
from pipelines.lake.delta import PartFile
from pipelines.lake.ingest import GZIP_MAGIC, RawFile
from pipelines.lake.storage import Lake
from pipelines.sources.context import feed_context
from pipelines.sources.readers import FileRejected, decode
from pipelines.sources.spec import FeedSpec
from pipelines.sources.standardize import count_gaps, deduplicate_candidates, gap_extents, standardize_rows
from pipelines.sources.streaming import (
    Piece,
    bucket_count,
    by_bucket,
    cut_pieces,
    file_has_header,
    line_offset,
    quote_character,
    read_piece,
    splittable,
)
from pipelines.validate.suite import load_suite, validate_with_gx

if TYPE_CHECKING:
    import distributed

log = logging.getLogger(__name__)


@dataclass
class Standardized:
    """What standardizing one file produced, by any path: counts, rejects, the clean part files written."""

    rows_in: int
    rows_clean: int
    rows_deduplicated: int
    gaps: int
    rejects: pd.DataFrame
    clean_parts: list[PartFile]
    gx_failures: list[str]
    deduplicated_by_reason: dict[str, int] = field(default_factory=dict)
    validations: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def rejected(cls, error: FileRejected) -> Standardized:
        """A file refused whole: one quarantine row with the reason."""
        return cls(1, 0, 0, 0, rejects_frame([(error.reason, error.detail, 0, "")]), [], [])


@dataclass(frozen=True)
class SplitPlan:
    """Where a file is cut, its header line (every piece is read with it), its encoding, and the buckets of keys."""

    header: bytes
    pieces: tuple[Piece, ...]
    encoding: str
    buckets: int
    spill: str  # the lake folder the pieces' rows meet in, by bucket


@dataclass(frozen=True)
class PieceResult:
    """A piece's counts; its checked rows are in the spill."""

    rows_in: int
    rejects: pd.DataFrame
    validation: dict[str, Any] | None
    refused: FileRejected | None = None  # the piece shows the whole file cannot be read


@dataclass(frozen=True)
class BucketResult:
    """A bucket's clean rows as part files, and what dedup and GX found in it."""

    rows_clean: int
    conflicts: pd.DataFrame
    dropped: dict[str, int]
    extents: pd.DataFrame
    clean_parts: list[PartFile]
    gx_failures: list[str]


def splits(raw: RawFile, feed: FeedSpec, settings: Settings, workers: int) -> bool:
    """Whether the file is standardized by several workers at once: larger than a chunk, on a cluster of several."""
    return settings.split_large_files and workers > 1 and splittable(feed) and raw.bytes > settings.chunk_mib * 2**20


def spill_folder(lake: Lake, raw: RawFile, run_id: str) -> str:
    """A new folder for each plan: a retried run never reads the pieces an earlier attempt left behind."""
    return f"{lake.layout.spill_dir()}/{run_id}-{raw.sha256[:16]}-{uuid.uuid4().hex[:8]}"


def piece_bytes(file_bytes: int, chunk_bytes: int, workers: int) -> int:
    """How large the pieces of a file are: a chunk at most, and as many pieces as the workers take in equal rounds
    (none left idle at the end). A worker's memory follows this size, not the file's."""
    rounds = math.ceil(file_bytes / (workers * chunk_bytes))
    return math.ceil(file_bytes / (workers * rounds))


def plan_split(raw: RawFile, feed: FeedSpec, settings: Settings, run_id: str, workers: int) -> SplitPlan | None:
    """On a worker: where to cut the file (None: it is compressed, so it is read in chunks on one worker)."""
    lake = Lake(settings)
    chunk_bytes = int(settings.chunk_mib * 2**20)
    with lake.fs.open(raw.raw_path, "rb") as handle:
        if handle.read(2) == GZIP_MAGIC:
            return None
        handle.seek(0)
        size = piece_bytes(raw.bytes, chunk_bytes, workers)
        header, pieces = cut_pieces(handle, file_has_header(feed), quote_character(feed), size)
        encoding: str = feed.encoding
        if encoding == "auto":  # detected once, on the first piece, then kept (as the chunked path does)
            encoding = decode(read_piece(handle, header, pieces[0]), "auto")[1]
    buckets = workers * math.ceil(max(len(pieces), bucket_count(raw.bytes, chunk_bytes, compressed=False)) / workers)
    return SplitPlan(header, tuple(pieces), encoding, buckets, spill_folder(lake, raw, run_id))


def _bucket_file(plan: SplitPlan, bucket: int, piece: int) -> str:
    return f"{plan.spill}/bucket={bucket:04d}/piece-{piece:06d}.parquet"  # names sort in file order


def stage_piece(index: int, raw: RawFile, feed: FeedSpec, settings: Settings, plan: SplitPlan) -> PieceResult:
    """On a worker: every check but dedup on one piece; its rows written to the spill, by bucket."""
    lake = Lake(settings)
    piece = plan.pieces[index]
    with lake.fs.open(raw.raw_path, "rb") as handle:
        content = read_piece(handle, plan.header, piece)
    spec = feed.model_copy(update={"encoding": plan.encoding})
    try:
        candidates = standardize_rows(
            content, spec, load_suite(feed.suite), feed_context(feed, settings, raw), line_offset(feed, piece.first_line)
        )
    except FileRejected as refused:
        return PieceResult(0, rejects_frame([]), None, refused)
    for bucket, rows in by_bucket(candidates.with_delivered(), feed, plan.buckets):
        sink = io.BytesIO()
        pq.write_table(rows, sink)
        lake.write_bytes(_bucket_file(plan, bucket, index), sink.getvalue())
    return PieceResult(candidates.rows_in, candidates.rejects, candidates.validation)


def stage_bucket(bucket: int, raw: RawFile, feed: FeedSpec, settings: Settings, plan: SplitPlan, run_id: str) -> BucketResult:
    """On a worker: one bucket's rows from every piece, deduplicated, validated and written as clean part files."""
    lake = Lake(settings)
    files = sorted(lake.glob(f"{plan.spill}/bucket={bucket:04d}/*.parquet"))
    if not files:
        return BucketResult(0, rejects_frame([]), {}, gap_extents(pd.DataFrame(), feed), [], [])
    rows = pd.concat([pq.read_table(io.BytesIO(lake.read_bytes(f))).to_pandas() for f in files], ignore_index=True)
    clean, conflicts, dropped = deduplicate_candidates(rows, feed)
    failures = list(validate_with_gx(clean, load_suite(feed.suite), feed.canonical.names).failed) if len(clean) else []
    parts = lake.stage(feed.canonical, clean, run_id) if len(clean) else []
    return BucketResult(len(clean), conflicts, dropped, gap_extents(clean, feed), parts, failures)


def standardize_split(
    client: distributed.Client, raw: RawFile, feed: FeedSpec, settings: Settings, run_id: str, plan: SplitPlan
) -> Standardized:
    """On the client: the file's pieces, then its buckets, on every worker; their counts added up; the spill removed."""
    lake = Lake(settings)
    name = raw.file_name
    try:
        pieces: list[PieceResult] = map_with_progress(
            client,
            stage_piece,
            range(len(plan.pieces)),
            lambda i: f"standardize {name}, piece {i + 1} of {len(plan.pieces)}",
            raw,
            feed,
            settings,
            plan,
        )
        refused = next((p.refused for p in pieces if p.refused is not None), None)
        if refused is not None:
            return Standardized.rejected(refused)
        buckets: list[BucketResult] = map_with_progress(
            client,
            stage_bucket,
            range(plan.buckets),
            lambda b: f"deduplicate {name}, bucket {b + 1} of {plan.buckets}",
            raw,
            feed,
            settings,
            plan,
            run_id,
        )
    finally:
        if lake.fs.exists(plan.spill):
            lake.fs.rm(plan.spill, recursive=True)
    log.info("%s: standardized in %d pieces and %d buckets", name, len(plan.pieces), plan.buckets)
    dropped: dict[str, int] = {}
    for b in buckets:
        for reason, n in b.dropped.items():
            dropped[reason] = dropped.get(reason, 0) + n
    rejects = [p.rejects for p in pieces if len(p.rejects)] + [b.conflicts for b in buckets if len(b.conflicts)]
    return Standardized(
        rows_in=sum(p.rows_in for p in pieces),
        rows_clean=sum(b.rows_clean for b in buckets),
        rows_deduplicated=sum(dropped.values()),
        gaps=count_gaps(pd.concat([b.extents for b in buckets if len(b.extents)] or [pd.DataFrame()], ignore_index=True), feed),
        rejects=(
            pd.concat(rejects, ignore_index=True).sort_values(LINE, kind="stable").reset_index(drop=True)
            if rejects
            else rejects_frame([])
        ),
        clean_parts=[part for b in buckets for part in b.clean_parts],
        gx_failures=sorted({f for b in buckets for f in b.gx_failures}),
        deduplicated_by_reason=dropped,
        validations=[p.validation for p in pieces if p.validation],
    )
