"""Large files in bounded memory: standardize chunk by chunk, dedup bucket by bucket.

A line-per-record file (CSV/TSV/JSON Lines, plain or gzip) is read in chunks of about `chunk_bytes`, cut
only between records (never inside a quoted value). Each chunk goes through every check; the rows that
pass are spread over buckets by a hash of their key and spilled to local Parquet files, so that all rows
sharing a key meet in one bucket; each bucket is then deduplicated on its own. Memory holds one chunk or
one bucket at a time, whatever the file's size; the outcome equals `standardize` on the whole file.

An uncompressed file can also be cut into pieces (`cut_pieces`, byte ranges of whole records) that several
workers standardize at once; the same buckets then meet in the lake (pipelines.flows.split).
"""

from __future__ import annotations

import gzip
import math
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.cleanse.records import LINE, rejects_frame
from pipelines.lake.ingest import GZIP_MAGIC
from pipelines.sources.readers import FileRejected, decode
from pipelines.sources.spec import FeedSpec
from pipelines.sources.standardize import (
    FeedContext,
    count_gaps,
    deduplicate_candidates,
    gap_extents,
    standardize_rows,
)
from pipelines.validate.suite import Suite


@dataclass
class StreamedFile:
    """The ledger's counts of a file standardized in chunks (the clean rows went to `on_clean`)."""

    rows_in: int = 0
    rows_clean: int = 0
    rows_deduplicated: int = 0
    gaps: int = 0
    encoding: str | None = None
    chunks: int = 0
    rejects: pd.DataFrame = field(default_factory=lambda: rejects_frame([]))
    deduplicated_by_reason: dict[str, int] = field(default_factory=dict)
    validations: list[dict[str, Any]] = field(default_factory=list)  # GX's result on each chunk's rows

    @property
    def balanced(self) -> bool:
        """rows_in = clean + quarantined + deduplicated."""
        return self.rows_in == self.rows_clean + len(self.rejects) + self.rows_deduplicated


def record_chunks(
    handle: BinaryIO | gzip.GzipFile, header: bool, quotechar: str | None, chunk_bytes: int
) -> Iterator[tuple[bytes, int]]:
    """(header + whole records, number of the chunk's first line), each chunk about `chunk_bytes` long."""
    header_line = handle.readline() if header else b""
    quote = quotechar.encode() if quotechar else b""
    next_line = 2 if header else 1
    first, lines, size, quotes = next_line, [], 0, 0
    for line in handle:
        lines.append(line)
        size += len(line)
        next_line += 1
        if quote:
            quotes += line.count(quote)
        if size >= chunk_bytes and quotes % 2 == 0:  # an even count of quotes: not inside a quoted value
            yield header_line + b"".join(lines), first
            first, lines, size, quotes = next_line, [], 0, 0
    if lines or first == (2 if header else 1):
        yield header_line + b"".join(lines), first


@dataclass(frozen=True)
class Piece:
    """Whole records of a file: the bytes [start, end), the first of them on line `first_line`."""

    start: int
    end: int
    first_line: int


CUT_BLOCK_BYTES = 16 * 2**20


def cut_pieces(
    handle: BinaryIO, header: bool, quotechar: str | None, piece_bytes: int, block_bytes: int = CUT_BLOCK_BYTES
) -> tuple[bytes, list[Piece]]:
    """(the header line, pieces of about `piece_bytes`) of an uncompressed file, cut where `record_chunks` would cut:
    after a line, outside any quoted value. One pass in blocks, counting quotes and line ends in C (bytes.count)."""
    header_line = handle.readline() if header else b""
    quote = quotechar.encode() if quotechar else b""
    pieces: list[Piece] = []
    offset = start = len(header_line)  # where the block read next begins; where the current piece begins
    lines = 1 if header else 0  # line ends before `offset`
    first_line, odd = lines + 1, False  # odd: inside a quoted value at `offset`

    def quotes(block: bytes, a: int, b: int) -> bool:
        return bool(quote) and block.count(quote, a, b) % 2 == 1

    while block := handle.read(block_bytes):
        at = 0
        while at < len(block):
            target = start + piece_bytes - offset  # where the current piece may end, within this block
            if target >= len(block):
                odd ^= quotes(block, at, len(block))
                lines += block.count(b"\n", at)
                break
            if target > at:
                odd ^= quotes(block, at, target)
                lines += block.count(b"\n", at, target)
                at = target
            end = block.find(b"\n", at)
            if end < 0:
                odd ^= quotes(block, at, len(block))
                break
            odd ^= quotes(block, at, end)
            lines, at = lines + 1, end + 1
            if not odd:  # a record ends here: so does the piece
                pieces.append(Piece(start, offset + at, first_line))
                start, first_line = offset + at, lines + 1
        offset += len(block)
    if offset > start:
        pieces.append(Piece(start, offset, first_line))
    return header_line, pieces


def read_piece(handle: BinaryIO, header_line: bytes, piece: Piece) -> bytes:
    """The header and the piece's records: a file of their own to standardize (line offset `piece.first_line`)."""
    handle.seek(piece.start)
    return header_line + handle.read(piece.end - piece.start)


def line_offset(spec: FeedSpec, first_line: int) -> int:
    """The offset of a chunk's line numbers in its file, for `standardize_rows`."""
    return first_line - (2 if file_has_header(spec) else 1)


def file_has_header(spec: FeedSpec) -> bool:
    return spec.format.type in ("csv", "tsv") and getattr(spec.format, "header", True)


def quote_character(spec: FeedSpec) -> str | None:
    return getattr(spec.format, "quotechar", None) if spec.format.type in ("csv", "tsv") else None


def splittable(spec: FeedSpec) -> bool:
    """Whether pieces of a file can be standardized apart: streamable, and no record's id depends on the records
    before it (a hashed id counts earlier identical records)."""
    return streamable(spec) and spec.id_from_hash is None


def streamable(spec: FeedSpec) -> bool:
    """Whether a feed's files can be read in chunks (one record per line; plain or gzip; no row looks at another row).

    A derived `shift` reads an earlier row of the same key, which may sit in the chunk before: such files are read whole.
    """
    shifts = any(derived.shift is not None for derived in spec.derive.values())
    return spec.line_per_record and spec.reshape is None and spec.compression in ("auto", "none", "gzip") and not shifts


def standardize_stream(
    open_file: Callable[[], BinaryIO],
    spec: FeedSpec,
    suite: Suite,
    context: FeedContext,
    on_clean: Callable[[pd.DataFrame], None],
    chunk_bytes: int,
    buckets: int,
) -> StreamedFile:
    """Standardize one file chunk by chunk; hand each bucket's clean rows to `on_clean`; return the counts."""
    result = StreamedFile()
    header, quotechar = file_has_header(spec), quote_character(spec)
    spill = Path(tempfile.mkdtemp(prefix="citylake-spill-"))
    rejects: list[pd.DataFrame] = []
    seen: dict[str, int] = {}
    chunk_spec = spec.model_copy(update={"compression": "none"})
    try:
        with open_file() as raw:
            compressed = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            with gzip.open(raw) if compressed else nullcontext(raw) as handle:
                for index, (chunk, first_line) in enumerate(record_chunks(handle, header, quotechar, chunk_bytes)):
                    if chunk_spec.encoding == "auto":  # detect once, on the first chunk, then keep it
                        chunk_spec = chunk_spec.model_copy(update={"encoding": decode(chunk, "auto")[1]})
                        result.encoding = chunk_spec.encoding
                    candidates = standardize_rows(chunk, chunk_spec, suite, context, line_offset(spec, first_line), seen)
                    result.rows_in += candidates.rows_in
                    result.chunks += 1
                    if candidates.validation:
                        result.validations.append(candidates.validation)
                    if len(candidates.rejects):
                        rejects.append(candidates.rejects)
                    _spill(candidates.with_delivered(), spec, spill, index, buckets)
        extents = []
        for bucket in sorted(spill.glob("bucket=*")):
            rows = pd.concat([pq.read_table(p).to_pandas() for p in sorted(bucket.glob("*.parquet"))], ignore_index=True)
            clean, conflicts, dropped = deduplicate_candidates(rows, spec)
            result.rows_deduplicated += sum(dropped.values())
            for reason, n in dropped.items():
                result.deduplicated_by_reason[reason] = result.deduplicated_by_reason.get(reason, 0) + n
            result.rows_clean += len(clean)
            if len(conflicts):
                rejects.append(conflicts)
            extents.append(gap_extents(clean, spec))
            if len(clean):
                on_clean(clean)
        result.gaps = count_gaps(pd.concat(extents, ignore_index=True) if extents else pd.DataFrame(), spec)
    except (gzip.BadGzipFile, zlib.error, EOFError) as exc:  # a gzip stream that breaks halfway: rejected whole
        raise FileRejected("CORRUPT_ARCHIVE", f"gzip: {exc}") from None
    # any other OSError (storage unreachable, a read timing out) propagates: the task fails and is retried
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    if rejects:
        result.rejects = pd.concat(rejects, ignore_index=True).sort_values(LINE, kind="stable").reset_index(drop=True)
    return result


def by_bucket(rows: pd.DataFrame, spec: FeedSpec, buckets: int) -> Iterator[tuple[int, pa.Table]]:
    """A chunk's rows spread over the buckets their keys hash to (the buckets that get any)."""
    if rows.empty:
        return
    keys = pd.DataFrame({column: _hashable(rows[column]) for column in spec.canonical.key})
    bucket_of = pd.util.hash_pandas_object(keys, index=False).to_numpy() % buckets
    for bucket in range(buckets):
        part = rows[bucket_of == bucket]
        if len(part):
            yield bucket, pa.Table.from_pandas(part, preserve_index=False)


def _hashable(column: pd.Series) -> pd.Series:
    """A key column as values that hash alike in every chunk: instants as UTC nanoseconds (their text would take
    seconds to format per million rows), anything else as its text."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        instants = column.dt.tz_convert("UTC").dt.tz_localize(None) if column.dt.tz is not None else column
        return pd.Series(instants.dt.as_unit("ns").to_numpy().view("int64"), index=column.index)
    return column.astype(str)


def _spill(rows: pd.DataFrame, spec: FeedSpec, spill: Path, chunk: int, buckets: int) -> None:
    """Write a chunk's rows to the buckets their keys hash to."""
    for bucket, part in by_bucket(rows, spec, buckets):
        folder = spill / f"bucket={bucket:04d}"
        folder.mkdir(exist_ok=True)
        pq.write_table(part, folder / f"chunk-{chunk:06d}.parquet")


def bucket_count(file_bytes: int, chunk_bytes: int, compressed: bool) -> int:
    """Buckets for a file: about one chunk's worth of rows each (a gzip file is guessed at 5x its size)."""
    return max(1, math.ceil(file_bytes * (5 if compressed else 1) / chunk_bytes))
