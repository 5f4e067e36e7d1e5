"""The canonical datasets: documented in one place, and the page stays in step with the code."""

from __future__ import annotations

from pipelines.canonical import DATASETS, schemas_markdown
from pipelines.config import PROJECT_ROOT


def test_docs_schemas_is_generated_from_the_code() -> None:
    assert (PROJECT_ROOT / "docs" / "schemas.md").read_text(encoding="utf-8") == schemas_markdown(), (
        "docs/schemas.md is stale: run `citylake schemas > docs/schemas.md`"
    )


def test_every_domain_has_its_datasets() -> None:
    domains = {d.domain for d in DATASETS.values()}
    assert domains == {"environment", "traffic", "public_safety", "energy", "urban", "emergency", "health", "egov"}
    for dataset in DATASETS.values():
        assert set(dataset.key) <= set(dataset.names)
        assert set(dataset.partition_by) <= set(dataset.names)
        assert {"source_file", "source_line"} <= set(dataset.names)
