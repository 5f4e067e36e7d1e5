"""The one module that builds lake paths from (zone, dataset, partition); nothing else formats keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Zone(StrEnum):
    """The zones of the lake, in the order data moves through them."""

    LANDING = "landing"
    RAW = "raw"
    CLEAN = "clean"
    QUARANTINE = "quarantine"
    CURATED = "curated"
    META = "_meta"


_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def checked_name(name: str, what: str) -> str:
    """Refuse names that could escape their folder (path traversal, empty, hidden)."""
    if not _SAFE_NAME.match(name) or ".." in name:
        raise ValueError(f"invalid {what} {name!r}: use letters, digits, '_', '-', '.'")
    return name


@dataclass(frozen=True)
class LakeLayout:
    """Paths of every zone, table and record under one lake root (a directory or s3://bucket/prefix)."""

    root: str

    def zone(self, zone: Zone) -> str:
        """The folder of a zone."""
        return f"{self.root}/{zone.value}"

    def spill_dir(self) -> str:
        """Where the pieces of a large file meet by key while a clean run cuts it up (removed by the run)."""
        return f"{self.zone(Zone.META)}/spill"

    def landing_dir(self, source: str) -> str:
        """Where a department drops the files of one source."""
        return f"{self.zone(Zone.LANDING)}/{checked_name(source, 'source')}"

    def raw_object(self, source: str, sha256: str, file_name: str) -> str:
        """The immutable raw copy of one delivered file version (versions are told apart by checksum)."""
        return f"{self.zone(Zone.RAW)}/{checked_name(source, 'source')}/{checked_name(sha256, 'checksum')}/{checked_name(file_name, 'file name')}"

    def manifest_dir(self, source: str) -> str:
        """The folder of a source's manifests: one folder per file name, one JSON per version."""
        return f"{self.zone(Zone.META)}/manifests/{checked_name(source, 'source')}"

    def manifest(self, source: str, file_name: str, sha256: str) -> str:
        """The manifest of one raw file version."""
        return f"{self.manifest_dir(source)}/{checked_name(file_name, 'file name')}/{checked_name(sha256, 'checksum')}.json"

    def table(self, zone: Zone, dataset: str) -> str:
        """A Delta table: clean and quarantine datasets, curated marts, the ledger."""
        if zone in (Zone.LANDING, Zone.RAW):
            raise ValueError(f"zone {zone.value!r} holds files, not tables")
        return f"{self.zone(zone)}/{checked_name(dataset, 'dataset')}"

    def ledger_table(self) -> str:
        """The ledger: per dataset and partition, rows_in = clean + quarantined + deduplicated."""
        return self.table(Zone.META, "ledger")

    def run_record(self, pipeline: str, run_id: str) -> str:
        """The JSON record of one pipeline run."""
        safe_run = re.sub(r"[^A-Za-z0-9_.\-]", "_", run_id)
        return f"{self.zone(Zone.META)}/runs/{checked_name(pipeline, 'pipeline')}/{safe_run}.json"

    def run_artifacts_dir(self, pipeline: str, run_id: str) -> str:
        """The folder of the files saved with one run's record."""
        return self.run_record(pipeline, run_id).removesuffix(".json")

    def run_artifact(self, pipeline: str, run_id: str, name: str) -> str:
        """A file saved with one run's record (a plot, a table)."""
        return f"{self.run_artifacts_dir(pipeline, run_id)}/{checked_name(name, 'artifact name')}"

    def validations_dir(self, dataset: str, run_id: str | None = None) -> str:
        """Where a dataset's GX validation results and Data Docs are kept (one folder per run)."""
        folder = f"{self.zone(Zone.META)}/validations/{checked_name(dataset, 'dataset')}"
        return folder if run_id is None else f"{folder}/{re.sub(r'[^A-Za-z0-9_.-]', '_', run_id)}"

    def lineage_dir(self, zone: Zone, dataset: str) -> str:
        """Where a table's OpenLineage events are kept (one per published version)."""
        return f"{self.zone(Zone.META)}/lineage/{zone.value}/{checked_name(dataset, 'dataset')}"

    def models_dir(self, pipeline: str, training_id: str) -> str:
        """The registry folder of one training run's models (each a .skops state and a .json card)."""
        return f"{self.zone(Zone.META)}/models/{checked_name(pipeline, 'pipeline')}/{checked_name(training_id, 'training id')}"

    def runs_dir(self, pipeline: str) -> str:
        """The folder of one pipeline's run records."""
        return f"{self.zone(Zone.META)}/runs/{checked_name(pipeline, 'pipeline')}"

    def reports_dir(self, report: str) -> str:
        """The folder of one report's editions (the weekly brief): one folder per edition."""
        return f"{self.zone(Zone.META)}/reports/{checked_name(report, 'report')}"

    def report_file(self, report: str, edition: str, name: str) -> str:
        """One file of a report's edition (its HTML, its PDF)."""
        return f"{self.reports_dir(report)}/{checked_name(edition, 'edition')}/{checked_name(name, 'file name')}"

    def open_data_dir(self, dataset: str) -> str:
        """The folder of a dataset's open-data releases: one folder per release."""
        return f"{self.zone(Zone.META)}/open_data/{checked_name(dataset, 'dataset')}"

    def open_data_file(self, dataset: str, release: str, name: str) -> str:
        """One file of an open-data release (the data, its dictionary, its licence)."""
        return f"{self.open_data_dir(dataset)}/{checked_name(release, 'release')}/{checked_name(name, 'file name')}"
