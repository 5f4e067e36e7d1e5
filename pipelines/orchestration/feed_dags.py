"""What the feed DAG factory needs at parse time, read from sources/*.yaml with nothing but a YAML parser.

Parsing DAG files must stay cheap and offline: this reads four keys per feed and imports no pandas,
pyarrow or pydantic. The full check of each YAML runs in the task (and in the tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from pipelines.config import PROJECT_ROOT

SOURCES_DIR = PROJECT_ROOT / "sources"


@dataclass(frozen=True)
class FeedDag:
    """One feed's clean DAG: its id, owner, dataset (and so its Asset) and documentation."""

    feed: str
    department: str
    dataset: str
    description: str
    landing_pattern: str

    @property
    def dag_id(self) -> str:
        """`<department>_<feed>_clean`."""
        return f"{self.department}_{self.feed}_clean"

    @property
    def doc_md(self) -> str:
        """The DAG's documentation for the Airflow UI."""
        return (
            f"### {self.description}\n\n"
            f"Feed `{self.feed}` (`sources/{self.feed}.yaml`) of the {self.department} department. Every hour, files "
            f"dropped into `landing/{self.feed}/` matching `{self.landing_pattern}` are copied to `raw/` with a manifest "
            f"(checksum, bytes, rows, arrival); a file seen before changes nothing. Each new file version is parsed and "
            f"standardized by the feed's YAML on the Dask workers (format, encoding, units, time zone, coordinates, "
            f"districts), validated with the suite `expectations/<dataset>.json` and deduplicated. Rejected rows go to "
            f"`quarantine/{self.dataset}` with a reason code; if a file's quarantined share passes the suite's threshold "
            f"the run **fails before anything is published** (the task log lists the reasons). Otherwise "
            f"`clean/{self.dataset}` is published in one atomic Delta commit and the asset `{self.dataset}` is updated "
            f"with rows, quarantined rows by reason and the partitions touched."
        )


def feed_dags(directory: Path = SOURCES_DIR) -> list[FeedDag]:
    """One FeedDag per YAML file, sorted by name."""
    found = []
    for path in sorted(directory.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found.append(
            FeedDag(
                feed=str(document.get("name", path.stem)),
                department=str(document.get("department", "unknown")),
                dataset=str(document.get("dataset", "unknown")),
                description=str(document.get("description", path.stem)),
                landing_pattern=str(document.get("landing_pattern", "*")),
            )
        )
    return found
