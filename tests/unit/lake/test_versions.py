"""The version that keys reprocessing is the content of the logic, alike in a checkout, a wheel and an image.

A README edit, a comment or a reflowed line reprocesses nothing; a changed AQI breakpoint recomputes the AQI
marts and nothing else. The image is a copy of the tree without .git (what infra/Dockerfile copies), the wheel is
built from it and unpacked: each computes every table's version in its own interpreter.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.lake.catalog import catalog
from pipelines.lake.versions import LogicNotFound, code_fingerprint, logic_version

VERSIONS = "import json; from pipelines.lake.catalog import catalog; print(json.dumps({t.ref: t.logic_version for t in catalog().values()}))"


def _versions_in(path: Path) -> dict[str, str]:
    """Every table's logic version as an interpreter importing the package from `path` computes it."""
    run = subprocess.run(
        [sys.executable, "-c", VERSIONS],
        cwd=path,
        env={"PYTHONPATH": str(path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project as infra/Dockerfile copies it: the tracked files, no .git."""
    root = tmp_path_factory.mktemp("image")
    tracked = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "ls-files", "pipelines", "pyproject.toml"], capture_output=True, text=True, check=True
    ).stdout.split()
    for name in tracked:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_ROOT / name, root / name)
    return root


def test_comments_docstrings_and_layout_do_not_count_but_code_does() -> None:
    base = code_fingerprint('"""Doc."""\nLIMIT = 201\n\n\ndef f(x):\n    return x > LIMIT\n')
    assert (
        code_fingerprint('"""Other words."""\nLIMIT = 201  # heavy\n\ndef f(x):\n    """Why."""\n    return (x >\n LIMIT)\n')
        == base
    )
    assert code_fingerprint('"""Doc."""\nLIMIT = 200\n\n\ndef f(x):\n    return x > LIMIT\n') != base


def test_a_missing_logic_module_is_named() -> None:
    with pytest.raises(LogicNotFound, match=r"logic module 'pipelines\.domains\.nowhere' cannot be found"):
        logic_version(["pipelines.domains.nowhere"])


def test_an_image_without_git_gives_the_checkout_s_versions_and_a_readme_edit_changes_none(image: Path) -> None:
    checkout = {t.ref: t.logic_version for t in catalog().values()}
    (image / "README.md").write_text("# an edited README\n")
    assert _versions_in(image) == checkout


def test_a_changed_aqi_breakpoint_recomputes_the_aqi_marts_and_only_them(image: Path, tmp_path: Path) -> None:
    changed = tmp_path / "changed"
    shutil.copytree(image, changed)
    aqi = changed / "pipelines" / "domains" / "environment" / "aqi.py"
    source = aqi.read_text()
    assert "HEAVILY_POLLUTED_MIN_AQI = 201" in source
    aqi.write_text(source.replace("HEAVILY_POLLUTED_MIN_AQI = 201", "HEAVILY_POLLUTED_MIN_AQI = 200"))
    before, after = _versions_in(image), _versions_in(changed)
    assert sorted(ref for ref in before if before[ref] != after[ref]) == [
        "curated/air_aqi_daily",
        "curated/air_aqi_hourly",
        "curated/air_aqi_monthly",
        "curated/air_pollution_episodes",
    ]


def test_an_installed_wheel_gives_the_checkout_s_versions(image: Path, tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(image)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("citylake-*.whl")
    installed = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(installed)
    assert (installed / "pipelines" / "lake" / "catalog" / "environment.py").exists()
    assert _versions_in(installed) == {t.ref: t.logic_version for t in catalog().values()}


def test_the_onboarding_tools_are_not_part_of_the_clean_engine_s_logic(image: Path, tmp_path: Path) -> None:
    changed = tmp_path / "changed"
    shutil.copytree(image, changed)
    draft = changed / "pipelines" / "sources" / "draft.py"
    draft.write_text(draft.read_text().replace('"%Y-%m-%d %H:%M:%S",', '"%Y-%m-%d %H:%M:%S",\n    "%H:%M %d-%m-%Y",', 1))
    readers = changed / "pipelines" / "sources" / "readers.py"
    before, after_draft = _versions_in(image), _versions_in(changed)
    assert after_draft == before  # the draft tool decides no row of any table
    readers.write_text(readers.read_text() + "\nEXTRA_MARKER = 1\n")
    after_readers = _versions_in(changed)
    assert sorted(ref for ref in before if before[ref] != after_readers[ref]) == sorted(
        t.ref for t in catalog().values() if "pipelines.sources.readers" in t.logic
    )
