"""Run records: what each pipeline run read, which code and parameters it used, and what it published."""

from __future__ import annotations

import hashlib
import json
import subprocess
from functools import lru_cache
from typing import Any

from pipelines import __version__
from pipelines.config import PROJECT_ROOT
from pipelines.lake.storage import Lake


@lru_cache(maxsize=1)
def code_version() -> str:
    """The package version and, in a git checkout, the commit (information for run records; reprocessing is keyed by `lake.versions`)."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "status", "--porcelain", "--untracked-files=no", "--", "pipelines", "expectations"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        return f"{__version__}+{commit}{'.dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return __version__


def idempotency_key(*parts: object) -> str:
    """A stable key for 'this output from these inputs with this code': equal inputs give equal keys."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def write_run_record(lake: Lake, pipeline: str, run_id: str, record: dict[str, Any]) -> str:
    """Store a run's record as JSON under _meta/runs and return its path."""
    path = lake.layout.run_record(pipeline, run_id)
    body = {"pipeline": pipeline, "run_id": run_id, "code_version": code_version(), **record}
    lake.write_bytes(path, json.dumps(body, indent=2, sort_keys=True, default=str).encode())
    return path
