"""Apache Superset, the BI client CityLake ships: installed in its own pinned environment, provisioned from files.

`citylake bi up` (make bi) installs Superset once into `var/superset-venv` from `infra/superset/requirements.txt`
(every package pinned; kept apart from Airflow's environment, whose pins it would fight), keeps its metadata in
SQLite under `var/bi/superset/`, imports the versioned assets of `infra/superset/assets/` (Superset's own export
format: the CityLake database, a dataset per mart, the City situation dashboard), and starts it on 127.0.0.1.
Each DuckDB connection Superset opens runs `session_statements` first (superset_config.py's connect event), so
SQL Lab and every chart read the lake's views and nothing else. `citylake bi export` writes the dashboard back
into the assets after it was edited in the UI. `citylake bi down` (make bi-down) stops exactly what `up` started.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipelines.bi.sql import lock_statements, refresh_database, session_statements
from pipelines.config import PROJECT_ROOT, Settings, local_secret
from pipelines.processes import (
    ServiceError,
    Started,
    alive,
    read_started,
    record_started,
    start_process,
    stop_recorded,
    wait_until,
)

SUPERSET_DIR = PROJECT_ROOT / "infra" / "superset"
ASSETS = SUPERSET_DIR / "assets"
# the database file's path is this machine's: the versioned assets name it by this placeholder
DATABASE_PLACEHOLDER = "@CITYLAKE_BI_DATABASE@"
DATABASE_ASSET = Path("databases") / "CityLake.yaml"


@dataclass(frozen=True)
class SupersetConfig:
    """Where Superset lives on this machine and where it listens."""

    home: Path = PROJECT_ROOT / "var" / "bi" / "superset"
    venv: Path = PROJECT_ROOT / "var" / "superset-venv"
    host: str = "127.0.0.1"
    port: int = 8088
    admin: str = "admin"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state_file(self) -> Path:
        return self.home / "processes.json"

    @property
    def session_file(self) -> Path:
        return self.home / "duckdb_session.json"

    @property
    def password_file(self) -> Path:
        return self.home / "secrets" / "admin_password"

    def executable(self, name: str) -> str:
        return str(self.venv / "bin" / name)


def admin_password(config: SupersetConfig) -> str:
    """CITYLAKE_SUPERSET_ADMIN_PASSWORD, else a random one kept on this machine (var/, mode 600)."""
    return os.environ.get("CITYLAKE_SUPERSET_ADMIN_PASSWORD") or local_secret(config.password_file, nbytes=12)[0]


def _requirements_stamp() -> str:
    return hashlib.sha256((SUPERSET_DIR / "requirements.txt").read_bytes()).hexdigest()


def install(config: SupersetConfig, say: Callable[[str], None] = print) -> None:
    """Superset's environment from the pinned requirements (once; again when they change). Nothing is fetched at
    run time afterwards: the DuckDB extensions come from their PyPI packages."""
    stamp = config.venv / ".citylake-requirements"
    if stamp.exists() and stamp.read_text() == _requirements_stamp():
        return
    say(f"installing Apache Superset into {config.venv} (pinned; once, about 1-2 min)")
    shutil.rmtree(config.venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(config.venv)], check=True)
    for args in (
        ["install", "--quiet", "--upgrade", "pip"],
        ["install", "--quiet", "--no-deps", "-r", str(SUPERSET_DIR / "requirements.txt")],
    ):
        done = subprocess.run([config.executable("pip"), *args], capture_output=True, text=True)
        if done.returncode != 0:
            raise ServiceError(f"installing Superset failed:\n{done.stdout[-1500:]}{done.stderr[-1500:]}")
    stamp.write_text(_requirements_stamp())


def site_packages(config: SupersetConfig) -> Path:
    found = sorted((config.venv / "lib").glob("python*/site-packages"))
    if not found:
        raise ServiceError(f"{config.venv} is not a Python environment: `citylake bi up` installs it")
    return found[0]


def environment(config: SupersetConfig) -> dict[str, str]:
    """What superset_config.py reads: nothing machine-specific lives in the repository."""
    secret_key, _ = local_secret(config.home / "secrets" / "secret_key", nbytes=42)
    return {
        **os.environ,
        "SUPERSET_CONFIG_PATH": str(SUPERSET_DIR / "superset_config.py"),
        "CITYLAKE_SUPERSET_SECRET_KEY": secret_key,
        "CITYLAKE_SUPERSET_METADATA_URI": f"sqlite:///{config.home / 'superset.db'}",
        "CITYLAKE_BI_SESSION_FILE": str(config.session_file),
        "FLASK_APP": "superset",
        "SUPERSET_LOG_LEVEL": "warning",
    }


def write_session_file(config: SupersetConfig, settings: Settings) -> None:
    """The statements every Superset DuckDB connection runs first (mode 600: for an S3 lake they hold its key)."""
    config.session_file.parent.mkdir(parents=True, exist_ok=True)
    config.session_file.touch(mode=0o600)
    opening = session_statements(settings, lock=False, site_packages=site_packages(config))
    config.session_file.write_text(json.dumps({"open": opening, "lock": lock_statements(settings)}, indent=1))


def render_assets(target: Path, database: Path) -> Path:
    """A copy of the versioned assets with this machine's BI database path in the database definition."""
    shutil.copytree(ASSETS, target, dirs_exist_ok=True)
    definition = target / DATABASE_ASSET
    definition.write_text(definition.read_text().replace(DATABASE_PLACEHOLDER, str(database)))
    return target


def _superset(config: SupersetConfig, *args: str) -> str:
    done = subprocess.run([config.executable("superset"), *args], env=environment(config), capture_output=True, text=True)
    if done.returncode != 0:
        raise ServiceError(f"`superset {' '.join(args[:2])}` failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout


def provision(config: SupersetConfig, settings: Settings, say: Callable[[str], None] = print) -> None:
    """Superset's metadata (migrated, admin user, roles) and the assets, imported over what was there."""
    database, _ = refresh_database(settings)
    write_session_file(config, settings)
    say("Superset: migrating its metadata, creating the admin user and roles")
    _superset(config, "db", "upgrade")
    users = _superset(config, "fab", "list-users")
    if f"username:{config.admin} " not in users.replace("|", " ") + " ":
        _superset(
            config,
            "fab",
            "create-admin",
            "--username",
            config.admin,
            "--firstname",
            "City",
            "--lastname",
            "Lake",
            "--email",
            f"{config.admin}@citylake.invalid",
            "--password",
            admin_password(config),
        )
    else:
        _superset(config, "fab", "reset-password", "--username", config.admin, "--password", admin_password(config))
    _superset(config, "init")
    with tempfile.TemporaryDirectory() as scratch:
        say(f"Superset: importing the CityLake database, datasets and dashboard from {ASSETS.relative_to(PROJECT_ROOT)}")
        _superset(config, "import-directory", "--overwrite", str(render_assets(Path(scratch) / "assets", database)))


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def up(settings: Settings, config: SupersetConfig = SupersetConfig(), say: Callable[[str], None] = print) -> Started:
    """Install, provision and start Superset (gunicorn, 1 worker x 4 threads) and wait until it answers."""
    running = [p for p in read_started(config.state_file) if alive(p)]
    if running:
        raise ServiceError(f"Superset already runs (pid {running[0].pid}): `make bi-down` first")
    install(config, say)
    provision(config, settings, say)
    command = [
        config.executable("gunicorn"),
        "--workers",
        "1",
        "--threads",
        "4",
        "--timeout",
        "120",
        "--bind",
        f"{config.host}:{config.port}",
        "superset.app:create_app()",
    ]
    started = start_process("superset", command, environment(config), config.home / "logs", cwd=config.home)
    record_started(config.state_file, [started])
    wait_until("Superset", lambda: _healthy(config.url), 120, [started])
    return started


def export_assets(config: SupersetConfig, settings: Settings) -> list[Path]:
    """Write the dashboards (with their charts) and every dataset of the running Superset back into the versioned
    assets, the machine's database path replaced by the placeholder; the files written."""
    written: dict[Path, str] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for command in ("export-dashboards", "export-datasources"):
            bundle = Path(scratch) / f"{command}.zip"
            _superset(config, command, "--dashboard-file" if command == "export-dashboards" else "--datasource-file", str(bundle))
            with zipfile.ZipFile(bundle) as archive:
                for member in archive.namelist():
                    inner = Path(*Path(member).parts[1:])  # drop the export's dated top folder
                    text = io.TextIOWrapper(archive.open(member), encoding="utf-8").read()
                    written[ASSETS / inner] = text.replace(str(settings.bi_database_path), DATABASE_PLACEHOLDER)
    # file names without Superset's ids (they differ from one Superset to the next): stable diffs
    written = {
        path.with_name(re.sub(r"_\d+\.yaml$", ".yaml", path.name)): text for path, text in _charts_placed_by_uuid(written).items()
    }
    shutil.rmtree(ASSETS, ignore_errors=True)
    for path, text in written.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return sorted(written)


def _charts_placed_by_uuid(files: dict[Path, str]) -> dict[Path, str]:
    """Dashboards whose layout names charts by id only (made through the API, not the UI) get each chart's uuid in
    its layout entry: an import places charts by uuid, and ids differ from one Superset to the next."""
    import yaml

    uuid_of = {}
    for path, text in files.items():
        found = re.search(r"_(\d+)\.yaml$", path.name)
        if path.parent.name == "charts" and found:
            uuid_of[int(found.group(1))] = yaml.safe_load(text)["uuid"]
    fixed = dict(files)
    for path, text in files.items():
        if path.parent.name != "dashboards":
            continue
        dashboard = yaml.safe_load(text)
        position = dashboard.get("position", {})
        charts = {key: entry for key, entry in position.items() if isinstance(entry, dict) and entry.get("type") == "CHART"}
        for entry in charts.values():
            if "uuid" not in entry["meta"]:
                entry["meta"]["uuid"] = uuid_of[entry["meta"]["chartId"]]
        # the export appends a row ("ROW-N-...") for charts it did not find placed by uuid: drop those copies
        placed = {e["meta"]["chartId"] for e in charts.values() if not any(p.startswith("ROW-N-") for p in e["parents"])}
        for key, entry in charts.items():
            row = entry["parents"][-1]
            if row.startswith("ROW-N-") and entry["meta"]["chartId"] in placed:
                del position[key]
                position[row]["children"].remove(key)
        for row in [k for k, e in position.items() if k.startswith("ROW-N-") and not e["children"]]:
            del position[row]
            position["GRID_ID"]["children"].remove(row)
        fixed[path] = yaml.safe_dump(dashboard, sort_keys=False, allow_unicode=True)
    return fixed


def down(config: SupersetConfig = SupersetConfig()) -> list[str]:
    """Stop exactly the Superset `up` started; the names of the processes stopped."""
    return stop_recorded(config.state_file)
