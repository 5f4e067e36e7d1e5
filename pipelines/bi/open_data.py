"""The open-data release of the city's indicators, for the public: the data as CSV and JSON, its data dictionary, its
licence and a manifest of checksums, written to the lake as one release folder.

Only the columns in `OPEN_COLUMNS` leave: aggregates with their definitions and lineage, no run ids and nothing about a
person (the health indicators are computed from marts whose every count is at least k people or withheld). A frame
with any other column is refused, so a column added to the mart is not published until someone decides it may be.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipelines.bi.export import defuse_formulas
from pipelines.config import Settings
from pipelines.lake.catalog import Table
from pipelines.lake.catalog.egov import CITY_INDICATORS
from pipelines.lake.storage import Lake

OPEN_COLUMNS = (
    "indicator",
    "name",
    "grain",
    "period",
    "period_start",
    "area",
    "value",
    "unit",
    "previous_value",
    "change",
    "complete",
    "is_latest",
    "headline",
    "definition",
    "better",
    "target",
    "alert",
    "target_basis",
    "light",
    "freshness",
    "stale_reason",
    "source",
    "source_version",
    "source_published_utc",
    "code_version",
    "logic_version",
    "computed_utc",
)
FILES = ("city_indicators.csv", "city_indicators.json", "data_dictionary.csv", "LICENSE.txt", "manifest.json")


@dataclass(frozen=True)
class Licence:
    """Who publishes the release and under which licence."""

    publisher: str = "CityLake"
    licence: str = "CC-BY-4.0"
    url: str = "https://creativecommons.org/licenses/by/4.0/"


class NotPublishable(ValueError):
    """The frame holds columns the open-data release has not been cleared to publish."""


def publishable(frame: pd.DataFrame) -> pd.DataFrame:
    """The open columns of the frame in their order; NotPublishable naming any column that is not one of them (only
    `run_id`, the internal run, is left out silently)."""
    extra = sorted(set(frame.columns) - set(OPEN_COLUMNS) - {"run_id"})
    if extra:
        raise NotPublishable(
            f"columns not cleared for open data: {', '.join(extra)} (the release publishes {', '.join(OPEN_COLUMNS)})"
        )
    missing = [c for c in OPEN_COLUMNS if c not in frame.columns]
    if missing:
        raise NotPublishable(f"columns missing from the indicators: {', '.join(missing)}")
    return frame[list(OPEN_COLUMNS)]


def dictionary(table: Table) -> pd.DataFrame:
    """The data dictionary: each published column's type, unit and meaning, from the lake catalog."""
    return pd.DataFrame(
        [
            {"column": c.name, "type": c.type, "unit": c.unit or "", "description": c.description}
            for c in table.columns
            if c.name in OPEN_COLUMNS
        ]
    )


def licence_text(licence: Licence, sources: list[str], released: pd.Timestamp) -> str:
    return (
        f"City indicators, released {released:%Y-%m-%d} by {licence.publisher}.\n\n"
        f"Licence: {licence.licence} ({licence.url}). You may share and adapt the data for any purpose, provided you give "
        f"appropriate credit to {licence.publisher}, link to the licence and say whether you changed it.\n\n"
        "The indicators are aggregates (means, shares and counts over days, weeks and months); no row describes a "
        "person. They are computed from these tables of the city's data lake, each named with the version used in "
        "the `source` and `source_version` columns:\n"
        + "".join(f"  - {ref}\n" for ref in sources)
        + "\nSome of those tables are built from public data sets under their own terms (see the project's README, "
        "'Where the data comes from'); attribute them too when you republish figures computed from them.\n"
    )


def release_files(indicators: pd.DataFrame, table: Table, licence: Licence, released: pd.Timestamp) -> dict[str, bytes]:
    """The release's files by name: the data (CSV defused for spreadsheets, JSON with its metadata), the dictionary,
    the licence and a manifest of the others' SHA-256."""
    rows = publishable(indicators).sort_values(["indicator", "grain", "area", "period"]).reset_index(drop=True)
    columns = dictionary(table)
    records: list[dict[str, Any]] = json.loads(rows.to_json(orient="records", date_format="iso"))
    metadata = {
        "title": "City indicators",
        "publisher": licence.publisher,
        "licence": licence.licence,
        "licence_url": licence.url,
        "released": released.isoformat(),
        "rows": len(rows),
        "columns": columns.to_dict(orient="records"),
    }
    files = {
        "city_indicators.csv": defuse_formulas(rows).to_csv(index=False).encode(),
        "city_indicators.json": json.dumps({**metadata, "records": records}, indent=1, ensure_ascii=False).encode(),
        "data_dictionary.csv": columns.to_csv(index=False).encode(),
        "LICENSE.txt": licence_text(licence, sorted(rows["source"].unique()), released).encode(),
    }
    files["manifest.json"] = json.dumps(
        {
            **{k: v for k, v in metadata.items() if k != "columns"},
            "files": {n: hashlib.sha256(b).hexdigest() for n, b in files.items()},
        },
        indent=1,
    ).encode()
    return files


def publish_release(
    settings: Settings, run_id: str, licence: Licence | None = None, released: pd.Timestamp | None = None
) -> dict[str, Any]:
    """Write today's release of the indicators' current version into the lake (`_meta/open_data/city_indicators/<day>/`;
    a later run the same day replaces it)."""
    released = released or pd.Timestamp.now(tz="UTC").floor("s")
    lake = Lake(settings)
    version = lake.require(CITY_INDICATORS, "run the egov_city_indicators DAG first")
    files = release_files(lake.read(CITY_INDICATORS, version=version), CITY_INDICATORS, licence or Licence(), released)
    release = f"{released:%Y-%m-%d}"
    paths = {}
    for name, body in files.items():
        paths[name] = lake.layout.open_data_file(CITY_INDICATORS.name, release, name)
        lake.write_bytes(paths[name], body)
    return {"release": release, "indicators_version": version, "rows": json.loads(files["manifest.json"])["rows"], "files": paths}
