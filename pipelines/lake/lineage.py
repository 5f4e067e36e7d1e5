"""OpenLineage events for every publish: which job made which version of a table from which versions of its inputs.

Each commit that adds a version of a declared table writes one OpenLineage `RunEvent` (COMPLETE), built with the
OpenLineage client's own classes:

- job: namespace `citylake`, name the DAG that published (the catalog's `producer`, or for a table several domains
  share, the one the publishing code names);
- run: a UUID derived from the Airflow run id (the same run of the same job gets the same UUID);
- inputs: the table's declared inputs (`Table.inputs`) at the versions this process read, and any other input a flow
  reported (a clean run's raw files with their SHA-256);
- output: the table at its new Delta version, with its declared schema and the rows and files added.

The file transport is the default and needs no server: the event is written into the lake itself, at
`_meta/lineage/<zone>/<table>/<version>.json` (so S3 lakes keep theirs too). A lineage server is pointed at by the
OpenLineage client's own configuration (OPENLINEAGE_URL for Marquez's HTTP API, or OPENLINEAGE_CONFIG /
OPENLINEAGE__TRANSPORT__* for Kafka and the rest): then every event is sent there as well. A failure to emit never
undoes a publish: the data is committed; the warning names the table and version.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

if TYPE_CHECKING:
    from openlineage.client.event_v2 import RunEvent

    from pipelines.lake.catalog.model import Table
    from pipelines.lake.delta import PublishResult
    from pipelines.lake.storage import Lake

log = logging.getLogger(__name__)

NAMESPACE = "citylake"
PRODUCER = "https://github.com/citylake/citylake/tree/main/pipelines/lake/lineage.py"
_RUN_NAMESPACE = uuid.UUID("6f1c9b1e-55c4-4d1f-9a43-2b8f4f6d0c11")


@dataclass(frozen=True)
class InputRead:
    """One input of a publish: where it is (a Delta table or a raw file) and the version that was read."""

    uri: str
    version: str | None = None


def dataset_id(uri: str) -> tuple[str, str]:
    """OpenLineage's naming of a storage location: ("s3://bucket", "path/in/bucket") or ("file", "/absolute/path")."""
    if uri.startswith("s3://"):
        parsed = urlparse(uri)
        return f"s3://{parsed.netloc}", parsed.path.lstrip("/")
    return "file", os.path.abspath(uri)


def run_uuid(job: str, run_id: str) -> str:
    return str(uuid.uuid5(_RUN_NAMESPACE, f"{job}/{run_id}"))


def publish_event(
    table: Table,
    table_uri: str,
    result: PublishResult,
    run_id: str,
    inputs: list[InputRead],
    now: dt.datetime,
    job: str | None = None,
) -> RunEvent:
    """The OpenLineage event of one publish."""
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import dataset_version_dataset, output_statistics_output_dataset, schema_dataset

    def version_facet(version: str | None) -> dict[str, Any]:
        return {} if version is None else {"version": dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=version)}

    job = job or table.producer or f"publish_{table.name}"
    namespace, name = dataset_id(table_uri)
    schema = schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(name=c.name, type=c.type, description=c.description) for c in table.columns
        ]
    )
    output = OutputDataset(
        namespace=namespace,
        name=name,
        facets={"schema": schema, **version_facet(str(result.version))},
        outputFacets={
            "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=result.rows_added, fileCount=result.files_added
            )
        },
    )
    return RunEvent(
        eventType=RunState.COMPLETE,
        eventTime=now.isoformat(),
        producer=PRODUCER,
        run=Run(runId=run_uuid(job, run_id)),
        job=Job(namespace=NAMESPACE, name=job),
        inputs=[InputDataset(*dataset_id(read.uri), facets=version_facet(read.version)) for read in inputs],
        outputs=[output],
    )


def _configured_elsewhere() -> bool:
    """Whether the OpenLineage client has a transport configured (a server to send to), beside the lake's files."""
    return any(key in os.environ for key in ("OPENLINEAGE_URL", "OPENLINEAGE_CONFIG")) or any(
        key.startswith("OPENLINEAGE__TRANSPORT") for key in os.environ
    )


def emit(
    lake: Lake, table: Table, result: PublishResult, run_id: str, inputs: list[InputRead], job: str | None = None
) -> str | None:
    """Write the publish's event into the lake (and send it to a configured lineage server); its path, or None when
    it could not be written (the publish stands, a warning says so)."""
    from openlineage.client.serde import Serde

    path = f"{lake.layout.lineage_dir(table.zone, table.name)}/{result.version:020d}.json"
    try:
        event = publish_event(table, lake.uri(table), result, run_id, inputs, dt.datetime.now(dt.UTC), job)
        lake.write_bytes(path, Serde.to_json(event).encode())
        if _configured_elsewhere():
            from openlineage.client import OpenLineageClient

            OpenLineageClient().emit(event)
    except Exception as exc:  # lineage is a record of the publish, never a reason to fail it
        log.warning("the OpenLineage event of %s version %d was not emitted: %s", table.ref, result.version, exc)
        return None
    return path
