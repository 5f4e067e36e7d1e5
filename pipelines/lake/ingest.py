"""landing -> raw: an immutable copy per file version, with a manifest. Re-ingesting a file changes nothing."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import logging
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from pipelines.lake.layout import checked_name
from pipelines.lake.storage import Lake

log = logging.getLogger(__name__)
CHUNK = 8 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


class Source(Protocol):
    """What ingest needs to know of a feed (a `FeedSpec` is one): where its files land and how to count their rows."""

    @property
    def name(self) -> str: ...

    @property
    def landing_pattern(self) -> str: ...

    @property
    def line_per_record(self) -> bool: ...

    @property
    def header_lines(self) -> int: ...


@dataclass(frozen=True)
class RawFile:
    """The manifest of one raw file version."""

    source: str
    file_name: str
    sha256: str
    bytes: int
    rows: int | None  # data lines, for formats with one record per line (gzip looked into); else None
    raw_path: str
    landing_path: str
    arrived_at: str
    ingest_run_id: str


@dataclass(frozen=True)
class IngestReport:
    """What one ingest run found in landing."""

    new: list[RawFile]
    unchanged: list[RawFile]
    refused: dict[str, str] = field(default_factory=dict)  # file name -> why it stays in landing, untouched

    @property
    def current(self) -> list[RawFile]:
        """Every file this run saw, new or already known."""
        return sorted([*self.new, *self.unchanged], key=lambda r: r.file_name)


def _fingerprint(lake: Lake, path: str, source: Source) -> tuple[str, int, int | None]:
    """sha256, size and data rows of a file in one pass over its bytes (gzip is looked into once more)."""
    digest = hashlib.sha256()
    size = lines = 0
    last, head = b"\n", b""
    with lake.fs.open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            head = head or chunk[:2]
            digest.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if not size or not source.line_per_record:
        return digest.hexdigest(), size, 0 if not size else None
    if head == GZIP_MAGIC:
        return digest.hexdigest(), size, _count_gzip_rows(lake, path, source)
    return digest.hexdigest(), size, max(lines + (last != b"\n") - source.header_lines, 0)


def _count_gzip_rows(lake: Lake, path: str, source: Source) -> int | None:
    """Data lines inside a gzip file; None when it is corrupt (the standardization step quarantines it)."""
    lines, last = 0, b"\n"
    try:
        with lake.fs.open(path, "rb") as raw, gzip.open(raw) as handle:
            while chunk := handle.read(CHUNK):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except (gzip.BadGzipFile, EOFError, zlib.error):
        return None
    return max(lines + (last != b"\n") - source.header_lines, 0)


def ingest_landing(lake: Lake, source: Source, run_id: str, arrived_at: dt.datetime) -> IngestReport:
    """Copy every new file version from the source's landing folder to raw and write its manifest."""
    landing = lake.layout.landing_dir(source.name)
    new: list[RawFile] = []
    unchanged: list[RawFile] = []
    refused: dict[str, str] = {}
    for landing_path in lake.glob(f"{landing}/{source.landing_pattern}"):
        file_name = landing_path.rsplit("/", 1)[-1]
        try:
            checked_name(file_name, "file name")
        except ValueError as exc:  # a name that could escape its folder: the file stays in landing, said loudly
            refused[file_name] = f"{exc}; rename it in {landing} to be ingested"
            log.error("refused %r: %s", file_name, refused[file_name])
            continue
        sha, size, rows = _fingerprint(lake, landing_path, source)
        manifest_path = lake.layout.manifest(source.name, file_name, sha)
        if lake.exists(manifest_path):
            unchanged.append(RawFile(**json.loads(lake.read_bytes(manifest_path))))
            continue
        raw_path = lake.layout.raw_object(source.name, sha, file_name)
        with lake.fs.open(landing_path, "rb") as src, lake.fs.open(raw_path, "wb") as dst:
            while chunk := src.read(CHUNK):
                dst.write(chunk)
        record = RawFile(source.name, file_name, sha, size, rows, raw_path, landing_path, arrived_at.isoformat(), run_id)
        # the manifest is written last: a crash before it leaves a raw copy that the next run rewrites identically
        lake.write_bytes(manifest_path, json.dumps(asdict(record), indent=2).encode())
        log.info("ingested %s (%d bytes, %s rows, sha256 %s)", file_name, size, "?" if rows is None else rows, sha[:12])
        new.append(record)
    return IngestReport(new, unchanged, refused)


def current_raw_files(lake: Lake, source: Source) -> list[RawFile]:
    """The latest version of every file of a source, by arrival (a re-delivered file supersedes the old one)."""
    latest: dict[str, RawFile] = {}
    for path in lake.glob(f"{lake.layout.manifest_dir(source.name)}/*/*.json"):
        record = RawFile(**json.loads(lake.read_bytes(path)))
        known = latest.get(record.file_name)
        if known is None or (record.arrived_at, record.sha256) > (known.arrived_at, known.sha256):
            latest[record.file_name] = record
    return [latest[name] for name in sorted(latest)]


def deliver(lake: Lake, source: Source, files: list[Path]) -> list[str]:
    """Drop local files into a source's landing folder, as the department's system would."""
    landing = lake.layout.landing_dir(source.name)
    if not lake.on_s3:
        lake.fs.makedirs(landing, exist_ok=True)
    delivered = []
    for file in sorted(files):
        target = f"{landing}/{file.name}"
        lake.fs.put_file(str(file), target)
        delivered.append(target)
    return delivered


def audit_raw_files(lake: Lake, source: Source) -> tuple[int, list[str]]:
    """Read back every raw file version a manifest records and check its size and sha256: (versions checked, the
    problems found, each naming the file). What a storage outage or a repair must never change."""
    problems: list[str] = []
    checked = 0
    for path in lake.glob(f"{lake.layout.manifest_dir(source.name)}/*/*.json"):
        record = RawFile(**json.loads(lake.read_bytes(path)))
        checked += 1
        if not lake.exists(record.raw_path):
            problems.append(f"{record.file_name}: raw copy {record.raw_path} is missing")
            continue
        sha, size, _ = _fingerprint(lake, record.raw_path, source)
        if (sha, size) != (record.sha256, record.bytes):
            problems.append(
                f"{record.file_name}: raw copy has sha256 {sha[:12]} and {size} bytes, the manifest {record.sha256[:12]} and {record.bytes}"
            )
    return checked, problems
