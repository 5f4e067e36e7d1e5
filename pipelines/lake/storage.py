"""Storage through fsspec (local or s3fs) and delta-rs options, with timeouts and bounded retries."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import fsspec
import pandas as pd
import pyarrow as pa

from pipelines.config import Settings
from pipelines.lake.catalog.model import SchemaMismatch, Table
from pipelines.lake.layout import LakeLayout, Zone

if TYPE_CHECKING:
    from pipelines.lake import lineage
    from pipelines.lake.delta import PartFile, PublishResult

log = logging.getLogger(__name__)


class StorageConfigError(RuntimeError):
    """The lake location or its credentials are not usable."""


@dataclass(frozen=True)
class Lake:
    """One lake: its layout, its filesystem and the storage options delta-rs and DuckDB need."""

    settings: Settings
    # what this process read (table or file URI -> version), for the lineage of what it publishes next
    inputs_read: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    @property
    def layout(self) -> LakeLayout:
        """Paths under this lake's root."""
        return LakeLayout(self.settings.lake_uri)

    @property
    def on_s3(self) -> bool:
        """True when the lake is an S3 bucket."""
        return self.settings.lake_on_s3

    @cached_property
    def fs(self) -> fsspec.AbstractFileSystem:
        """The filesystem of the lake (s3fs with timeouts and retries, or the local disk)."""
        if not self.on_s3:
            return fsspec.filesystem("file", auto_mkdir=True)
        s = self.settings
        import s3fs

        return s3fs.S3FileSystem(
            key=s.s3_key,
            secret=s.s3_secret,
            endpoint_url=s.s3_endpoint,
            client_kwargs={"region_name": s.s3_region},
            config_kwargs={
                "connect_timeout": s.io_connect_timeout_seconds,
                "read_timeout": s.io_timeout_seconds,
                "retries": {"max_attempts": s.io_max_retries + 1, "mode": "standard"},
            },
            skip_instance_cache=True,
        )

    def storage_options(self) -> dict[str, str]:
        """Options for delta-rs (object_store): endpoint, keys, timeouts, retries, safe concurrent commits."""
        if not self.on_s3:
            return {}
        s = self.settings
        options = {
            "AWS_REGION": s.s3_region,
            "aws_conditional_put": "etag",
            "timeout": f"{int(s.io_timeout_seconds)}s",
            "connect_timeout": f"{int(s.io_connect_timeout_seconds)}s",
            "max_retries": str(s.io_max_retries),
            "retry_timeout": f"{int(s.io_timeout_seconds * (s.io_max_retries + 1))}s",
        }
        if s.s3_key:
            options["AWS_ACCESS_KEY_ID"] = s.s3_key
        if s.s3_secret:
            options["AWS_SECRET_ACCESS_KEY"] = s.s3_secret
        if s.s3_endpoint:
            options["AWS_ENDPOINT_URL"] = s.s3_endpoint
            if s.s3_endpoint.startswith("http://"):
                options["AWS_ALLOW_HTTP"] = "true"
        return options

    def bucket(self) -> str:
        """The bucket name of an S3 lake."""
        return urlparse(self.settings.lake_uri).netloc

    def ensure_exists(self) -> None:
        """Create the lake root: a local directory, or the bucket through the MinIO SDK."""
        if not self.on_s3:
            self.fs.makedirs(self.settings.lake_uri, exist_ok=True)
            return
        ensure_bucket(self.settings, self.bucket())

    def read_bytes(self, path: str) -> bytes:
        """The whole content of one object."""
        with self.fs.open(path, "rb") as handle:
            data: bytes = handle.read()
        return data

    def write_bytes(self, path: str, data: bytes) -> None:
        """Write one object whole (parents are created on the local disk)."""
        if not self.on_s3:
            self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        with self.fs.open(path, "wb") as handle:
            handle.write(data)

    def exists(self, path: str) -> bool:
        """Whether an object or folder exists (fresh, not from a listing cache)."""
        self.fs.invalidate_cache()
        return bool(self.fs.exists(path))

    def glob(self, pattern: str) -> list[str]:
        """Objects matching a glob, sorted, as full lake paths."""
        self.fs.invalidate_cache()
        found = sorted(self.fs.glob(pattern))
        return [f"s3://{p}" if self.on_s3 and not p.startswith("s3://") else p for p in found]

    # --- tables: how domains read and publish (declared in the lake catalog; Delta underneath) -------------

    def uri(self, table: Table) -> str:
        """Where a declared table lives."""
        return self.layout.table(table.zone, table.name)

    def has(self, table: Table) -> bool:
        """Whether the table has been published."""
        from pipelines.lake import delta

        return delta.table_exists(self, self.uri(table))

    def version(self, table: Table) -> int:
        """The table's current version."""
        from pipelines.lake import delta

        return delta.table_version(self, self.uri(table))

    def published_at(self, table: Table, version: int) -> dt.datetime:
        """When a version of the table was committed (UTC)."""
        from pipelines.lake import delta

        history = delta.table_history(self, self.uri(table))
        committed = history.loc[history["version"] == version, "committed_utc"]
        if committed.empty:
            raise KeyError(f"{self.uri(table)} has no version {version}")
        moment: dt.datetime = committed.iloc[0].to_pydatetime()
        return moment

    def require(self, table: Table, hint: str) -> int:
        """The table's current version, or a RuntimeError saying it has not been published and what to run first."""
        if not self.has(table):
            raise RuntimeError(f"{self.uri(table)} has not been published yet: {hint}")
        version = self.version(table)
        self.record_input(self.uri(table), str(version))
        return version

    def record_input(self, uri: str, version: str | None) -> None:
        """Note an input of what this process publishes next (tables read are noted by `read` and `require`)."""
        self.inputs_read[uri] = version

    def read(
        self,
        table: Table,
        *,
        version: int | None = None,
        columns: Sequence[str] | None = None,
        filters: list[tuple[str, str, object]] | None = None,
    ) -> pd.DataFrame:
        """The table (at a version; only some columns; only the partitions and files matching `filters`) in pandas."""
        from deltalake import DeltaTable

        delta_table = DeltaTable(self.uri(table), version=version, storage_options=self.storage_options())
        self.record_input(self.uri(table), str(delta_table.version()))
        return delta_table.to_pandas(columns=list(columns) if columns is not None else None, filters=filters)

    def read_or_empty(self, table: Table) -> pd.DataFrame:
        """The table, or an empty frame with its columns when it has not been published (optional inputs)."""
        return self.read(table) if self.has(table) else table.arrow_schema.empty_table().to_pandas()

    def partition_values(self, table: Table, column: str, version: int | None = None) -> list[str]:
        """The values of one partition column present in the table, sorted."""
        from deltalake import DeltaTable

        delta_table = DeltaTable(self.uri(table), version=version, storage_options=self.storage_options())
        return sorted({p[column] for p in delta_table.partitions()})

    def stage(self, table: Table, frame: pd.DataFrame | pa.Table, run_id: str) -> list[PartFile]:
        """Write the frame's part files into the table's folder (on a worker), checked against the declaration first."""
        from pipelines.lake import delta

        rows = frame if isinstance(frame, pa.Table) else table.conform(frame)
        if not rows.schema.equals(table.arrow_schema):
            raise SchemaMismatch(
                f"{table.ref} does not match its declaration:\n  got      {rows.schema}\n  declared {table.arrow_schema}"
            )
        return delta.write_parts(self, self.uri(table), rows, table.storage_partition_by, run_id)

    def commit(
        self,
        table: Table,
        parts: Sequence[PartFile],
        replace: dict[str, list[str]] | None,
        run_id: str,
        key: str,
        extra: dict[str, str] | None = None,
        job: str | None = None,
    ) -> PublishResult:
        """Publish staged parts in one atomic commit replacing the partitions in `replace` (None: the whole table), and
        record its OpenLineage event (`lineage`)."""
        from pipelines.lake import delta, lineage

        result = delta.commit_parts(
            self, self.uri(table), table.arrow_schema, table.storage_partition_by, parts, replace, run_id, key, extra
        )
        if not result.skipped_as_duplicate:
            lineage.emit(self, table, result, run_id, self.lineage_inputs(table), job)
        return result

    def lineage_inputs(self, table: Table) -> list[lineage.InputRead]:
        """A publish's inputs: what this process read (at the versions read), and the table's declared inputs."""
        from pipelines.lake import lineage

        declared = [self.layout.table(Zone(ref.split("/")[0]), ref.split("/")[1]) for ref in table.inputs]
        found = {uri: version for uri, version in self.inputs_read.items() if uri != self.uri(table)}
        found.update({uri: found.get(uri) for uri in declared})
        return [lineage.InputRead(uri, version) for uri, version in sorted(found.items())]

    def publish(
        self,
        table: Table,
        frame: pd.DataFrame,
        replace: dict[str, list[str]] | None,
        run_id: str,
        key: str,
        extra: dict[str, str] | None = None,
        job: str | None = None,
    ) -> PublishResult:
        """A frame computed on the client (a mart of counts, a leaderboard): checked, staged and committed at once;
        `job` names the publishing DAG of a table several domains share (its lineage)."""
        return self.commit(table, self.stage(table, frame, run_id), replace, run_id, key, extra, job)


def ensure_bucket(settings: Settings, bucket: str) -> None:
    """Create the lake's bucket with the MinIO SDK when it does not exist yet."""
    from minio import Minio
    from urllib3 import PoolManager, Retry, Timeout

    if not settings.s3_endpoint:
        raise StorageConfigError("the lake is on S3 but no endpoint is set: set CITYLAKE_S3_ENDPOINT_URL (or AWS_ENDPOINT_URL)")
    if not (settings.s3_key and settings.s3_secret):
        raise StorageConfigError(
            "the lake is on S3 but no credentials are set: set CITYLAKE_S3_ACCESS_KEY_ID and "
            "CITYLAKE_S3_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)"
        )
    endpoint = urlparse(settings.s3_endpoint)
    http = PoolManager(
        timeout=Timeout(connect=settings.io_connect_timeout_seconds, read=settings.io_timeout_seconds),
        retries=Retry(total=settings.io_max_retries, backoff_factor=0.5, status_forcelist=[500, 502, 503, 504]),
    )
    client = Minio(
        endpoint.netloc,
        access_key=settings.s3_key,
        secret_key=settings.s3_secret,
        secure=endpoint.scheme == "https",
        region=settings.s3_region,
        http_client=http,
    )
    if not client.bucket_exists(bucket):
        log.info("creating bucket %s at %s", bucket, settings.s3_endpoint)
        client.make_bucket(bucket)
