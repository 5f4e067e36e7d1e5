"""What `pip install citylake` brings: every runtime import is a declared, pinned dependency; test and benchmark
tools are extras; nothing declared goes unused."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from pipelines.config import PROJECT_ROOT

RUNTIME_CODE = ("pipelines", "citylake", "dags", "plugins")
# needed at run time without an import of their own: loaded by DuckDB, pandas, fsspec or Airflow by name
USED_INDIRECTLY = {"duckdb-extension-httpfs", "duckdb-extension-delta", "pytz", "openpyxl", "s3fs", "distributed"}


def project() -> dict:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]


def name(requirement: str) -> str:
    return re.split(r"[\[=<>~! ]", requirement, maxsplit=1)[0].lower()


def imported_distributions() -> set[str]:
    """The distributions that the runtime code imports (first-party and the standard library left out)."""
    modules = set()
    for folder in RUNTIME_CODE:
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules.add(node.module.split(".")[0])
    third_party = modules - set(sys.stdlib_module_names) - {"pipelines", "citylake", "citylake_lake_page"}
    # airflow's namespace spans its providers; GX imports as great_expectations
    owners = packages_distributions() | {"airflow": ["apache-airflow"], "great_expectations": ["great-expectations"]}
    return {dist.lower() for module in third_party for dist in owners.get(module, [module])}


def test_runtime_dependencies_are_pinned_and_cover_every_import() -> None:
    declared = project()["dependencies"]
    assert all("==" in requirement for requirement in declared), declared
    runtime = {name(r) for r in declared}
    missing = sorted(imported_distributions() - runtime)
    assert missing == [], f"imported at run time but not declared: {missing}"


def test_nothing_declared_goes_unused_and_test_tools_are_extras() -> None:
    runtime = {name(r) for r in project()["dependencies"]}
    used = imported_distributions() | {"dask"}  # dask[dataframe]: imported by its own name
    assert sorted(runtime - used - USED_INDIRECTLY) == []
    extras = project()["optional-dependencies"]
    assert {"pytest", "hypothesis", "ruff", "mypy"} <= {name(r) for r in extras["test"]}
    assert not {"pytest", "hypothesis", "mlxtend", "pyfim", "playwright"} & runtime
