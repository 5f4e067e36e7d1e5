"""Typed settings, read from the environment (prefix CITYLAKE_); secrets never live in code."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Where the lake lives, how to reach it, and where the heavy work runs."""

    model_config = SettingsConfigDict(env_prefix="CITYLAKE_", extra="ignore")

    lake_uri: str = Field(
        default=str(PROJECT_ROOT / "var" / "lake"),
        description="A local directory or s3://bucket[/prefix].",
    )
    data_dir: Path = Field(
        default=PROJECT_ROOT.parent / "shared" / "data",
        description="Where the departments' public files are read from (the demo's deliveries).",
    )
    # S3 / MinIO. Keys fall back to the standard AWS_* variables so that one set works for all tools.
    s3_endpoint_url: str | None = None
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_region: str = "us-east-1"
    # The key of the pseudonyms of personal identifiers (HMAC): from the environment or the Airflow
    # connection citylake_pseudonym, never in code. Rotating it changes every pseudonym.
    pseudonym_key: SecretStr | None = None
    # Every network call: a timeout and a bounded retry, configured here once.
    io_timeout_seconds: float = Field(default=30.0, gt=0)
    io_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    io_max_retries: int = Field(default=3, ge=0, le=10)
    # Files larger than this are standardized chunk by chunk, so a worker's memory stays bounded.
    chunk_mib: float = Field(default=256.0, gt=0)
    # ... and, uncompressed and on several workers, cut into pieces that every worker standardizes at once (their
    # rows meet by key under the lake's _meta/spill/); false: such a file is read chunk by chunk on one worker.
    split_large_files: bool = True
    # Dask: a scheduler address, else a LocalCluster sized to the machine.
    dask_scheduler_address: str | None = None
    dask_workers: int | None = Field(default=None, ge=1)
    dask_threads_per_worker: int = Field(default=1, ge=1)
    dask_memory_limit: str = "auto"
    # The DuckDB file BI tools and `citylake query` open (views over the lake, rebuilt when the lake's tables change)
    bi_database: Path | None = None
    # What a BI session reads: "live", every query the tables' newest commit (each query reads each table's Delta
    # log first); "session", each table as of the session's first read of it, pinned for the session (no log read
    # per query: what makes dashboards fast on object storage, where every read is a round trip). Default: session
    # for a lake on S3, live for a local lake.
    bi_snapshot: Literal["live", "session"] | None = None

    @field_validator("lake_uri")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("lake_uri must not be empty")
        if not value.startswith("s3://"):
            value = str(Path(value).expanduser().resolve())
        return value.rstrip("/") or "/"

    @property
    def bi_database_path(self) -> Path:
        """CITYLAKE_BI_DATABASE, else `bi/citylake.duckdb` beside a local lake (var/bi/ for var/lake), else for a lake
        on S3 `var/bi/citylake-<hash of its URI>.duckdb`."""
        if self.bi_database is not None:
            return self.bi_database
        if not self.lake_on_s3:
            return Path(self.lake_uri).parent / "bi" / "citylake.duckdb"
        return PROJECT_ROOT / "var" / "bi" / f"citylake-{hashlib.sha256(self.lake_uri.encode()).hexdigest()[:8]}.duckdb"

    @property
    def bi_snapshot_mode(self) -> str:
        """CITYLAKE_BI_SNAPSHOT, else "session" for a lake on S3 and "live" for a local one."""
        return self.bi_snapshot or ("session" if self.lake_on_s3 else "live")

    @property
    def lake_on_s3(self) -> bool:
        """True when the lake is an S3 bucket rather than a local directory."""
        return self.lake_uri.startswith("s3://")

    @cached_property
    def s3_key(self) -> str | None:
        """Access key id: CITYLAKE_S3_ACCESS_KEY_ID, else AWS_ACCESS_KEY_ID."""
        if self.s3_access_key_id is not None:
            return self.s3_access_key_id.get_secret_value()
        return os.environ.get("AWS_ACCESS_KEY_ID")

    @cached_property
    def s3_secret(self) -> str | None:
        """Secret key: CITYLAKE_S3_SECRET_ACCESS_KEY, else AWS_SECRET_ACCESS_KEY."""
        if self.s3_secret_access_key is not None:
            return self.s3_secret_access_key.get_secret_value()
        return os.environ.get("AWS_SECRET_ACCESS_KEY")

    @cached_property
    def s3_endpoint(self) -> str | None:
        """Endpoint URL: CITYLAKE_S3_ENDPOINT_URL, else AWS_ENDPOINT_URL / S3_ENDPOINT_URL."""
        return self.s3_endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("S3_ENDPOINT_URL")


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (tests, Airflow connections) on top."""
    return Settings(**overrides)  # type: ignore[arg-type]


def local_secret(path: Path, nbytes: int = 32) -> tuple[str, bool]:
    """A random secret kept in a file of this machine (mode 600, under var/, never committed); True when just made."""
    made = not path.exists()
    if made:
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(nbytes))
    return path.read_text().strip(), made


def local_pseudonym_key(settings: Settings, path: Path = PROJECT_ROOT / "var" / "secrets" / "pseudonym.key") -> str:
    """The configured key, else a random one kept in var/secrets (this machine only, never committed)."""
    if settings.pseudonym_key is not None:
        return settings.pseudonym_key.get_secret_value()
    key, made = local_secret(path)
    if made:
        print(f"!! No CITYLAKE_PSEUDONYM_KEY: made a random key for this machine in {path}", flush=True)
    return key


def config_problems(origin: str, error: ValidationError, location: Callable[[tuple[object, ...]], str] | None = None) -> str:
    """A YAML file's schema errors, one line each: `<origin>: <key>: <problem>` in words a department understands."""
    lines = []
    for item in error.errors():
        key = location(item["loc"]) if location else ".".join(str(p) for p in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        elif item["type"] == "missing":
            message = "required key is missing"
        lines.append(f"{origin}: {key + ': ' if key else ''}{message}")
    return "\n".join(lines)


def yaml_mapping(path: Path, error: type[ValueError] = ValueError) -> dict[str, object]:
    """A configuration file's YAML mapping; `error` saying the file and why when it is unreadable or not a mapping."""
    import yaml

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise error(f"{path}: not readable YAML ({exc})") from None
    if not isinstance(document, dict):
        raise error(f"{path}: the file must hold a mapping of keys")
    return document
