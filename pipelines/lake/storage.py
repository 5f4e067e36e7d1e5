"""Storage through fsspec (local or s3fs) and delta-rs options, with timeouts and bounded retries."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlparse

import fsspec

from pipelines.config import Settings
from pipelines.lake.layout import LakeLayout

log = logging.getLogger(__name__)


class StorageConfigError(RuntimeError):
    """The lake location or its credentials are not usable."""


@dataclass(frozen=True)
class Lake:
    """One lake: its layout, its filesystem and the storage options delta-rs and DuckDB need."""

    settings: Settings

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
            return handle.read()

    def write_bytes(self, path: str, data: bytes) -> None:
        """Write one object whole (parents are created on the local disk)."""
        if not self.on_s3:
            self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        with self.fs.open(path, "wb") as handle:
            handle.write(data)

    def exists(self, path: str) -> bool:
        """Whether an object or folder exists (fresh, not from a listing cache)."""
        self.fs.invalidate_cache()
        return self.fs.exists(path)

    def glob(self, pattern: str) -> list[str]:
        """Objects matching a glob, sorted, as full lake paths."""
        self.fs.invalidate_cache()
        found = sorted(self.fs.glob(pattern))
        return [f"s3://{p}" if self.on_s3 and not p.startswith("s3://") else p for p in found]


def ensure_bucket(settings: Settings, bucket: str) -> None:
    """Create the lake's bucket with the MinIO SDK when it does not exist yet."""
    from minio import Minio
    from urllib3 import PoolManager, Retry, Timeout

    if not settings.s3_endpoint:
        raise StorageConfigError(
            "the lake is on S3 but no endpoint is set: set CITYLAKE_S3_ENDPOINT_URL (or AWS_ENDPOINT_URL)"
        )
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
