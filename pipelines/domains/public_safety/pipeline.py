"""The public-safety jobs on the lake and the Dask cluster: crime hotspots (and, next, the rules)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipelines.compute import map_with_progress
from pipelines.config import Settings
from pipelines.domains.public_safety import hotspots as hot
from pipelines.domains.public_safety import marts
from pipelines.lake import delta
from pipelines.lake.layout import Zone
from pipelines.lake.runs import code_version, idempotency_key, write_run_record
from pipelines.lake.storage import Lake

log = logging.getLogger(__name__)
INCIDENTS = "crime_incidents"
HOTSPOTS_PIPELINE = "public_safety_hotspots"


@dataclass(frozen=True)
class HotspotParams:
    """How incidents are binned: period length, the city's local time, the smallest group published."""

    granularity: str = "year"
    timezone: str = "America/Chicago"
    min_group_size: int = 1  # incident counts carry no personal data; raise it for counts from case records


def count_partition(source_file: str, settings: Settings, version: int, params: HotspotParams) -> pd.DataFrame:
    """On a worker: the cell counts of one delivered file's incidents."""
    from deltalake import DeltaTable

    lake = Lake(settings)
    table = DeltaTable(lake.layout.table(Zone.CLEAN, INCIDENTS), version=version, storage_options=lake.storage_options())
    rows = table.to_pandas(columns=["ts_utc", "district", "reported_district", "source_file"],
                           filters=[("source_file", "=", source_file)])
    rows["district"] = rows["district"].fillna(rows["reported_district"])
    return hot.cell_counts(rows, params.granularity, params.timezone)


def build_hotspots(settings: Settings, run_id: str, client: "distributed.Client", params: HotspotParams) -> dict[str, Any]:  # noqa: F821
    """clean/crime_incidents -> curated/crime_hotspots, every period recomputed (a trend needs the period before)."""
    from deltalake import DeltaTable

    lake = Lake(settings)
    uri = lake.layout.table(Zone.CLEAN, INCIDENTS)
    if not delta.table_exists(lake, uri):
        raise RuntimeError(f"clean/{INCIDENTS} has not been published yet ({uri}): run the police_chicago_assaults_clean DAG first")
    table = DeltaTable(uri, storage_options=lake.storage_options())
    version = table.version()
    files = sorted({p["source_file"] for p in table.partitions()})  # clean incidents are laid out by delivered file
    counts = map_with_progress(client, count_partition, files, lambda f: f"hotspot counts of {f}", settings, version, params)
    cells = hot.hotspots(pd.concat(counts, ignore_index=True), params.min_group_size)
    cells = cells.assign(granularity=params.granularity, run_id=run_id)
    out = lake.layout.table(Zone.CURATED, marts.HOTSPOTS)
    parts = delta.write_parts(lake, out, delta.arrow_table(cells, marts.HOTSPOTS_SCHEMA), marts.PARTITION_BY[marts.HOTSPOTS], run_id)
    key = idempotency_key("hotspots", uri, version, params, code_version())
    published = delta.commit_parts(lake, out, marts.HOTSPOTS_SCHEMA, marts.PARTITION_BY[marts.HOTSPOTS], parts, None, run_id, key,
                                   {"citylake.source_version": str(version)})
    result = {
        "rows": len(cells), "periods": sorted(cells["period"].unique()), "suppressed": int(cells["suppressed"].sum()),
        "incidents": int(cells["incidents"].sum()), "table_version": published.version, "clean_version": version,
        "partitions": sorted(cells["period"].unique()),
    }
    write_run_record(lake, HOTSPOTS_PIPELINE, run_id, {**result, "params": params.__dict__})
    return result
