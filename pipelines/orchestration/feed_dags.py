"""What the feed DAG factory wires: one clean DAG per valid feed YAML, and the invalid ones as one import error.

It reads the same validated models as the tasks (pipelines.sources.registry): a feed whose YAML is invalid
gets no DAG, and dags/feed_config_errors.py fails to import with each problem (file, key, problem), which is
how the Airflow UI shows it. Parsing stays offline: YAML and the checks only, no lake, no connection.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.lake.catalog import invalid_declarations
from pipelines.sources.registry import invalid_feeds, valid_sources
from pipelines.sources.spec import FeedConfigError, FeedSpec


@dataclass(frozen=True)
class FeedDag:
    """One feed's clean DAG: its id, owner, dataset (and so its Asset) and documentation."""

    feed: str
    department: str
    dataset: str
    description: str
    landing_pattern: str
    cadence: dt.timedelta  # the YAML's `cadence`: how often the department delivers, and so how often the DAG runs
    suite: str = ""

    @classmethod
    def of(cls, spec: FeedSpec) -> FeedDag:
        """The DAG of one validated feed."""
        cadence = pd.Timedelta(spec.cadence).to_pytimedelta()
        return cls(spec.name, spec.department, spec.dataset, spec.description, spec.landing_pattern, cadence, spec.suite)

    @property
    def dag_id(self) -> str:
        """`<department>_<feed>_clean`, the department in lower-case words joined by _ ('grid operator' -> grid_operator)."""
        department = re.sub(r"[^a-z0-9]+", "_", self.department.lower()).strip("_") or "department"
        return f"{department}_{self.feed}_clean"

    @property
    def doc_md(self) -> str:
        """The DAG's documentation for the Airflow UI."""
        return (
            f"### {self.description}\n\n"
            f"Feed `{self.feed}` (`sources/{self.feed}.yaml`) of the {self.department} department. Every {self.cadence} "
            f"(the YAML's `cadence`; trigger it by hand after a delivery), files "
            f"dropped into `landing/{self.feed}/` matching `{self.landing_pattern}` are copied to `raw/` with a manifest "
            f"(checksum, bytes, rows, arrival); a file seen before changes nothing. Each new file version is parsed and "
            f"standardized by the feed's YAML on the Dask workers (format, encoding, units, time zone, coordinates, "
            f"districts), validated with the suite `expectations/{self.suite}.json` (Great Expectations decides every row) and deduplicated. Rejected rows go to "
            f"`quarantine/{self.dataset}` with a reason code; if a file's quarantined share passes the suite's threshold "
            f"the run **fails before anything is published**, once, without retries (the task log lists the files, reasons and "
            f"how to release them). A run with nothing new is skipped without starting Dask. Otherwise "
            f"`clean/{self.dataset}` is published in one atomic Delta commit and the asset `{self.dataset}` is updated "
            f"with rows, quarantined rows by reason and the partitions touched."
        )


def feed_dags(directory: Path | None = None) -> list[FeedDag]:
    """One FeedDag per valid feed YAML, sorted by feed name."""
    return [FeedDag.of(spec) for _, spec in sorted(valid_sources(directory).items())]


def raise_feed_config_errors(directory: Path | None = None) -> None:
    """FeedConfigError naming every invalid dataset or feed YAML (file, key, problem), or nothing when all are valid."""
    datasets, feeds = invalid_declarations(), invalid_feeds(directory)
    problems = []
    if datasets:
        problems.append(
            f"{len(datasets)} dataset YAML file(s) are invalid and declare nothing until fixed:\n" + "\n".join(datasets.values())
        )
    if feeds:
        problems.append(
            f"{len(feeds)} feed YAML file(s) are invalid and get no clean DAG until fixed:\n" + "\n".join(feeds.values())
        )
    if problems:
        raise FeedConfigError("\n".join(problems))
