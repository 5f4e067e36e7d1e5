"""A local PostgreSQL server for Airflow's metadata: what lets two schedulers run at once (`citylake up --schedulers 2`).

Airflow runs more than one scheduler only on PostgreSQL or MySQL 8, whose row locks (`SELECT ... FOR UPDATE SKIP
LOCKED`) let the schedulers share the work without talking to each other; on SQLite, the embedded default, one
scheduler must run. This module initialises a cluster once (Debian's PostgreSQL 15 binaries), starts `postgres`
as one of the platform's recorded processes, and creates the `airflow` database.

PostgreSQL refuses to run as root: as root it runs as the `postgres` user, with its data in
/var/tmp/citylake-postgres-<hash of the platform's home> (a folder that user can reach whatever the permissions of
the checkout); otherwise in `<home>/postgres`. The password is a local secret under `<home>/secrets`, never
committed; the server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipelines.config import local_secret

DATABASE = "airflow"
USER = "airflow"


class MetadataDbError(RuntimeError):
    """The metadata database could not be set up; the message says why and what to install."""


def postgres_binary(name: str) -> str:
    """A PostgreSQL program (`postgres`, `initdb`): Debian keeps them under /usr/lib/postgresql/<version>/bin."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0
    )
    for folder in reversed(versions):
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise MetadataDbError(f"PostgreSQL's `{name}` was not found: install Debian's package `postgresql`")
    return found


def _as_root() -> bool:
    return os.geteuid() == 0


@dataclass(frozen=True)
class LocalPostgres:
    """One PostgreSQL server for the platform whose home is `home`, on `port`."""

    home: Path
    port: int

    @property
    def data_dir(self) -> Path:
        if _as_root():
            digest = hashlib.sha1(str(self.home.resolve()).encode()).hexdigest()[:12]
            return Path("/var/tmp") / f"citylake-postgres-{digest}" / "data"
        return self.home / "postgres" / "data"

    def password(self) -> str:
        return local_secret(self.home / "secrets" / "postgres_password", nbytes=16)[0]

    def _user_command(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if _as_root() else command

    def initialise(self) -> None:
        """initdb once: the `airflow` superuser with the local password, scram-sha-256 on every connection."""
        if (self.data_dir / "PG_VERSION").exists():
            return
        parent = self.data_dir.parent
        parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile("w", dir=parent, delete=False) as handle:
            handle.write(self.password())
        try:
            if _as_root():
                shutil.chown(parent, "postgres", "postgres")
                shutil.chown(handle.name, "postgres", "postgres")
            command = [
                postgres_binary("initdb"), "-D", str(self.data_dir), "-U", USER, f"--pwfile={handle.name}",
                "--auth=scram-sha-256", "-E", "UTF8", "--locale=C",
            ]  # fmt: skip
            done = subprocess.run(self._user_command(command), capture_output=True, text=True, timeout=300)
        finally:
            os.unlink(handle.name)
        if done.returncode != 0:
            raise MetadataDbError(f"initdb failed: {done.stderr.strip()[-800:]}")

    def server_command(self) -> list[str]:
        """The server in the foreground (the platform records and stops it like its other processes)."""
        return self._user_command(
            [
                postgres_binary("postgres"), "-D", str(self.data_dir), "-p", str(self.port), "-k", str(self.data_dir.parent),
                "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200",
            ]
        )  # fmt: skip

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql+psycopg://{USER}:{self.password()}@127.0.0.1:{self.port}/{database}"

    def ready(self) -> bool:
        """Whether the server answers; creates the `airflow` database the first time it does."""
        import psycopg

        try:
            with psycopg.connect(
                host="127.0.0.1",
                port=self.port,
                user=USER,
                password=self.password(),
                dbname="postgres",
                connect_timeout=3,
                autocommit=True,
            ) as connection:
                if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone() is None:
                    connection.execute(f'CREATE DATABASE "{DATABASE}"')
            return True
        except psycopg.OperationalError:
            return False

    def remove(self) -> None:
        """Delete the cluster's data (a scenario's throwaway platform; the server must be stopped)."""
        shutil.rmtree(self.data_dir.parent if _as_root() else self.data_dir, ignore_errors=True)

    def airflow_environment(self) -> dict[str, str]:
        """Airflow's database settings for this server (the async URL too: Airflow 3 would otherwise want asyncpg)."""
        return {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.url(), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": self.url()}
