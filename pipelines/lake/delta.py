"""Delta publishing: workers write part files, one atomic commit replaces exactly the partitions covered."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.lake.catalog.model import SchemaMismatch, to_arrow
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake

if TYPE_CHECKING:
    import deltalake
    from deltalake.transaction import CommitProperties

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY = "citylake.idempotency_key"
RUN_ID_KEY = "citylake.run_id"
# Every CityLake publish to a table names this Delta application transaction: two publishes that race on one
# table then conflict at commit (the loser gets CommitFailedError), even when neither removes a file the other
# read, e.g. both filling a new table or a new partition, which Delta would otherwise let both append.
PUBLISH_APP_ID = "citylake.publish"
REPLACE_ATTEMPTS = 8
PUBLISH_ATTEMPTS = 8  # a publish that lost a race re-reads the table and commits again, at most this many times


@dataclass(frozen=True)
class PartFile:
    """One Parquet file a worker wrote into a table's folder, not yet committed."""

    table_uri: str
    relative_path: str
    size: int
    partition_values: dict[str, str | None]
    num_records: int
    stats: str


@dataclass(frozen=True)
class PublishResult:
    """What one publish did to one table."""

    table_uri: str
    version: int
    files_added: int
    rows_added: int
    replaced_partitions: dict[str, list[str]] | None = field(default_factory=dict)
    skipped_as_duplicate: bool = False


def _stat_value(value: object) -> object:
    """A min/max value as the Delta protocol writes it in file statistics."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def file_stats(table: pa.Table) -> str:
    """Delta file statistics (numRecords, nullCount, min/max of plain columns) as JSON."""
    stats: dict[str, object] = {"numRecords": table.num_rows, "minValues": {}, "maxValues": {}, "nullCount": {}}
    for name, column in zip(table.column_names, table.columns):
        stats["nullCount"][name] = column.null_count  # type: ignore[index]
        kind = column.type
        if column.null_count == len(column) or not (
            pa.types.is_integer(kind)
            or pa.types.is_floating(kind)
            or pa.types.is_date(kind)
            or pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_timestamp(kind)
        ):
            continue
        if pa.types.is_floating(kind) and pc.any(pc.is_nan(column)).as_py():
            continue
        bounds = pc.min_max(column)
        low, high = bounds["min"].as_py(), bounds["max"].as_py()
        if pa.types.is_timestamp(kind):
            # Delta keeps timestamp statistics in milliseconds: widen to whole milliseconds so that they still
            # bound every microsecond value (a reader prunes files on them; without them it may skip every file)
            low = low.replace(microsecond=low.microsecond // 1000 * 1000)
            high = high.replace(microsecond=high.microsecond // 1000 * 1000) + dt.timedelta(
                milliseconds=1 if high.microsecond % 1000 else 0
            )
        stats["minValues"][name] = _stat_value(low)  # type: ignore[index]
        stats["maxValues"][name] = _stat_value(high)  # type: ignore[index]
    return json.dumps(stats)


def write_parts(lake: Lake, table_uri: str, frame: pa.Table, partition_by: Sequence[str], run_id: str) -> list[PartFile]:
    """Write one Parquet file per partition value combination into the table's folder (runs on a worker)."""
    if frame.num_rows == 0:
        return []
    keys = frame.select(list(partition_by)).to_pandas() if partition_by else None
    groups: Iterable[tuple[tuple[str | None, ...], pa.Table]]
    if keys is None:
        groups = [((), frame)]
    else:
        # the rows of each combination of values (as text, a null as "\x00"), the combinations in order of appearance
        text = keys.astype("string").fillna("\x00")
        rows_of = text.groupby(list(text.columns), sort=False).indices
        groups = []
        for code, rows in sorted(rows_of.items(), key=lambda item: item[1][0]):
            values = tuple(None if v == "\x00" else str(v) for v in (code if isinstance(code, tuple) else (code,)))
            groups.append((values, frame.take(pa.array(rows)).drop_columns(list(partition_by))))
    written = []
    safe_run = "".join(c if c.isalnum() else "_" for c in run_id)[:60]
    for values, part in groups:
        folder = "/".join(f"{col}={'__HIVE_DEFAULT_PARTITION__' if v is None else v}" for col, v in zip(partition_by, values))
        name = f"part-{safe_run}-{uuid.uuid4().hex}.parquet"
        relative = f"{folder}/{name}" if folder else name
        path = f"{table_uri}/{relative}"
        if not lake.on_s3:
            lake.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        with lake.fs.open(path, "wb") as handle:
            pq.write_table(part, handle, compression="zstd")
        size = lake.fs.size(path)
        written.append(
            PartFile(
                table_uri=table_uri,
                relative_path=relative,
                size=int(size),
                partition_values=dict(zip(partition_by, values)),
                num_records=part.num_rows,
                stats=file_stats(part),
            )
        )
    return written


@dataclass(frozen=True)
class StoredTable:
    """A Delta table found in the lake (declared in the catalog or not)."""

    zone: Zone
    name: str
    uri: str


TABLE_ZONES = (Zone.CLEAN, Zone.QUARANTINE, Zone.CURATED, Zone.META)


def stored_tables(lake: Lake) -> list[StoredTable]:
    """Every Delta table in the clean, quarantine, curated and _meta zones, zone by zone, by name."""
    found = []
    for zone in TABLE_ZONES:
        for log_dir in lake.glob(f"{lake.layout.zone(zone)}/*/_delta_log"):
            uri = log_dir.rsplit("/", 1)[0]
            found.append(StoredTable(zone, uri.rsplit("/", 1)[-1], uri))
    return sorted(found, key=lambda t: (TABLE_ZONES.index(t.zone), t.name))


def table_exists(lake: Lake, table_uri: str) -> bool:
    """Whether a Delta table has been created at this location."""
    from deltalake import DeltaTable

    return DeltaTable.is_deltatable(table_uri, storage_options=lake.storage_options())


def table_version(lake: Lake, table_uri: str) -> int:
    """The current version of a Delta table."""
    from deltalake import DeltaTable

    return DeltaTable(table_uri, storage_options=lake.storage_options()).version()


# A checkpoint every 10 commits (delta-rs writes it after the commit; its default is 100): a reader replays at most
# ten JSON commits after the last checkpoint. A clean table gains a commit per delivered file, and on S3 each JSON
# commit is a request on every query (BI latency on the real S3 server, benchmarks/README.md).
TABLE_PROPERTIES = {"delta.checkpointInterval": "10"}


def ensure_table(lake: Lake, table_uri: str, schema: pa.Schema, partition_by: Sequence[str]) -> deltalake.DeltaTable:
    """Create the table empty when it does not exist yet; add the declared columns (and TABLE_PROPERTIES) an
    existing table lacks.

    A table is created empty and filled by a separate, conflict-checked commit: when two runs create the same
    table at once, delta-rs commits both CREATEs (the second as the next version), so rows committed with a
    create would be doubled. An empty second CREATE changes nothing. A column added to a declaration (a
    department's new measure) joins the table as a nullable column, null in the files written before it.
    """
    from deltalake import DeltaTable, Schema

    storage = lake.storage_options()
    if not table_exists(lake, table_uri):
        return DeltaTable.create(
            table_uri,
            Schema.from_arrow(schema),
            mode="ignore",
            partition_by=list(partition_by) or None,
            storage_options=storage,
            configuration=TABLE_PROPERTIES,
        )
    table = DeltaTable(table_uri, storage_options=storage)
    stored = pa.schema(table.schema().to_arrow())
    retyped = [
        f"{f.name} ({stored.field(f.name).type} stored, {f.type} declared)"
        for f in schema
        if f.name in stored.names and not stored.field(f.name).type.equals(f.type)
    ]
    stored_partitions = list(table.metadata().partition_columns)
    if retyped or stored_partitions != list(partition_by):
        raise SchemaMismatch(
            f"{table_uri} cannot take its declaration: "
            + "; ".join(
                [f"changed types: {', '.join(retyped)}"] * bool(retyped)
                + [f"partitioned by {stored_partitions}, declared {list(partition_by)}"]
                * (stored_partitions != list(partition_by))
            )
            + ". Publish it under a new name, or move the old table aside and reprocess."
        )
    added = pa.schema([f for f in schema if f.name not in stored.names])
    if len(added):
        log.info("%s: adding the declared column(s) %s", table_uri, ", ".join(added.names))
        table.alter.add_columns(Schema.from_arrow(added).fields)
    configured = table.metadata().configuration
    missing = {k: v for k, v in TABLE_PROPERTIES.items() if configured.get(k) != v}
    if missing:  # a table created before a property was set (an older CityLake) takes it on its next publish
        log.info("%s: setting the table properties %s", table_uri, missing)
        table.alter.set_table_properties(missing)
    return table


def _publish_properties(metadata: dict[str, str], read_version: int) -> CommitProperties:
    """Commit properties of a publish made on the table as of `read_version`: its metadata, the publish lock, and no
    rebase: the commit lands as version `read_version + 1` or fails, so a publish never goes in on top of one it did
    not see (delta-rs would otherwise rebase it when the conflict checker sees no clash, e.g. two first fills of a
    table racing after two CREATEs); the caller re-reads the table and decides again."""
    from deltalake.transaction import CommitProperties, Transaction

    return CommitProperties(
        custom_metadata=metadata, app_transactions=[Transaction(PUBLISH_APP_ID, read_version + 1)], max_commit_retries=0
    )


def last_idempotency_key(lake: Lake, table_uri: str) -> str | None:
    """The idempotency key of CityLake's latest commit to the table (None: none, or not keyed)."""
    from deltalake import DeltaTable

    if not table_exists(lake, table_uri):
        return None
    # maintenance commits (VACUUM START/END, OPTIMIZE) change no data: look past them to CityLake's last write
    for commit in DeltaTable(table_uri, storage_options=lake.storage_options()).history(50):
        if RUN_ID_KEY in commit:
            return commit.get(IDEMPOTENCY_KEY)
    return None


def commit_parts(
    lake: Lake,
    table_uri: str,
    schema: pa.Schema,
    partition_by: Sequence[str],
    parts: Sequence[PartFile],
    replace: dict[str, list[str]] | None,
    run_id: str,
    idempotency_key: str,
    extra_metadata: dict[str, str] | None = None,
) -> PublishResult:
    """Publish part files in one atomic commit replacing the partitions named in `replace` (None: the whole table)."""
    from deltalake import DeltaTable
    from deltalake.exceptions import CommitFailedError, DeltaError
    from deltalake.transaction import AddAction, RemoveAction

    if last_idempotency_key(lake, table_uri) == idempotency_key:
        discard_parts(lake, parts)
        version = table_version(lake, table_uri)
        log.info("%s: already published with key %s (version %s); nothing to do", table_uri, idempotency_key[:12], version)
        return PublishResult(table_uri, version, 0, 0, replace, skipped_as_duplicate=True)
    now_ms = int(time.time() * 1000)
    actions = [AddAction(p.relative_path, p.size, p.partition_values, now_ms, True, p.stats) for p in parts]
    metadata = {RUN_ID_KEY: run_id, IDEMPOTENCY_KEY: idempotency_key, **(extra_metadata or {})}
    if replace is not None and not any(replace.values()):
        raise ValueError(f"refusing to overwrite all of {table_uri} by accident: name the partitions to replace, or None")
    table = ensure_table(lake, table_uri, schema, partition_by)  # the table as this commit reads it
    filters = [(column, "in", values) for column, values in replace.items()] if replace else None
    for attempt in range(1, PUBLISH_ATTEMPTS + 1):
        try:
            table.create_write_transaction(
                list[AddAction | RemoveAction](actions),
                mode="overwrite",
                schema=schema,
                partition_by=list(partition_by) or None,
                partition_filters=filters,
                commit_properties=_publish_properties(metadata, table.version()),
            )
            break
        except (CommitFailedError, DeltaError) as exc:
            # another commit came first. If it published exactly this work, these parts are not needed; otherwise
            # the replacement is decided again on the table as that commit left it
            if last_idempotency_key(lake, table_uri) == idempotency_key:
                discard_parts(lake, parts)
                version = table_version(lake, table_uri)
                log.info(
                    "%s: a concurrent run published key %s first (version %s): %s", table_uri, idempotency_key[:12], version, exc
                )
                return PublishResult(table_uri, version, 0, 0, replace, skipped_as_duplicate=True)
            if attempt == PUBLISH_ATTEMPTS:
                raise
            log.info(
                "%s: a concurrent commit came first (%s); publishing again on the new version (attempt %d)",
                table_uri,
                exc,
                attempt + 1,
            )
            time.sleep(0.1 * attempt)
            table = DeltaTable(table_uri, storage_options=lake.storage_options())
    version = table_version(lake, table_uri)
    rows = sum(p.num_records for p in parts)
    log.info("%s: committed version %s (%d files, %d rows)", table_uri, version, len(parts), rows)
    return PublishResult(table_uri, version, len(parts), rows, replace)


def publish_frame(
    lake: Lake,
    table_uri: str,
    frame: pd.DataFrame,
    schema: pa.Schema,
    partition_by: Sequence[str],
    replace: dict[str, list[str]] | None,
    run_id: str,
    idempotency_key: str,
    extra_metadata: dict[str, str] | None = None,
) -> PublishResult:
    """A small table computed on the client (a mart of counts, a leaderboard): its parts written and committed at once."""
    parts = write_parts(lake, table_uri, to_arrow(frame, schema), partition_by, run_id)
    return commit_parts(lake, table_uri, schema, partition_by, parts, replace, run_id, idempotency_key, extra_metadata)


def require_table(lake: Lake, table_uri: str, hint: str) -> str:
    """The table's URI, or a RuntimeError saying it has not been published and what to run first."""
    if not table_exists(lake, table_uri):
        raise RuntimeError(f"{table_uri} has not been published yet: {hint}")
    return table_uri


def discard_parts(lake: Lake, parts: Sequence[PartFile]) -> None:
    """Delete part files that will not be committed (a failed or duplicate run), so no orphan remains."""
    for part in parts:
        path = f"{part.table_uri}/{part.relative_path}"
        if lake.fs.exists(path):
            lake.fs.rm(path)


def open_table(lake: Lake, table_uri: str, as_of: int | dt.datetime | None = None) -> deltalake.DeltaTable:
    """A Delta table as it is, or as it was at a version or a moment (time travel)."""
    from deltalake import DeltaTable

    table = DeltaTable(table_uri, storage_options=lake.storage_options(), version=as_of if isinstance(as_of, int) else None)
    if isinstance(as_of, dt.datetime):
        table.load_as_version(as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.UTC))
    return table


def table_history(lake: Lake, table_uri: str) -> pd.DataFrame:
    """Every commit of a table, newest first: version, time (UTC), operation, CityLake run and rows added."""
    rows = []
    for commit in open_table(lake, table_uri).history():
        metrics = commit.get("operationMetrics") or {}
        rows.append(
            {
                "version": int(commit["version"]),
                "committed_utc": pd.Timestamp(commit["timestamp"], unit="ms", tz="UTC"),
                "operation": commit.get("operation"),
                "run_id": commit.get(RUN_ID_KEY),
                "rows_added": metrics.get("num_added_rows"),
            }
        )
    return pd.DataFrame(rows, columns=["version", "committed_utc", "operation", "run_id", "rows_added"])


def read_table(lake: Lake, table_uri: str, filters: list[tuple[str, str, object]] | None = None) -> pd.DataFrame:
    """Read a Delta table (or the partitions matching `filters`) into pandas."""
    from deltalake import DeltaTable

    table = DeltaTable(table_uri, storage_options=lake.storage_options())
    return table.to_pandas(filters=filters)


def replace_rows(lake: Lake, table_uri: str, frame: pa.Table, predicate: str, partition_by: Sequence[str], run_id: str) -> None:
    """Small tables (the ledger): replace the rows matching `predicate` in one commit, create when new.

    The replacement is idempotent, so a commit that lost a race with a concurrent one is simply redone on the
    table as the winner left it.
    """
    from deltalake import write_deltalake
    from deltalake.exceptions import CommitFailedError

    partitions, storage = list(partition_by) or None, lake.storage_options()
    ensure_table(lake, table_uri, frame.schema, partition_by)
    for attempt in range(1, REPLACE_ATTEMPTS + 1):
        properties = _publish_properties({RUN_ID_KEY: run_id}, table_version(lake, table_uri))
        try:
            write_deltalake(
                table_uri,
                frame,
                mode="overwrite",
                predicate=predicate,
                partition_by=partitions,
                storage_options=storage,
                commit_properties=properties,
            )
            return
        except CommitFailedError as exc:
            if attempt == REPLACE_ATTEMPTS:
                raise
            log.info("%s: a concurrent commit came first (%s); replacing again (attempt %d)", table_uri, exc, attempt + 1)
            time.sleep(0.2 * attempt)
