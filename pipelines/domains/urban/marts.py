"""City-management cases, clean -> curated: hotspots on the grid (`urban_hotspots`), disposal KPIs (`urban_kpis`) and
recurring problems (`urban_recurrence`), each published whole, one commit each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipelines.config import Settings
from pipelines.domains.urban import classes, hotspots, kpis
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.urban import URBAN_HOTSPOTS, URBAN_KPIS, URBAN_RECURRENCE
from pipelines.lake.runs import idempotency_key, write_run_record
from pipelines.lake.storage import Lake
from pipelines.sources.registry import local_timezone

PIPELINE = "urban_marts"
CASES = clean_dataset("urban_cases")
COLUMNS = [
    "case_id",
    "ts_utc",
    "kind",
    "class_code",
    "department",
    "registered_utc",
    "dispatched_utc",
    "disposed_utc",
    "checked_utc",
    "closed_utc",
    "reopened",
    "latitude",
    "longitude",
    "district",
    "grid_cell",
]


@dataclass(frozen=True)
class UrbanParams:
    """Hotspot thresholds, the recurrence window, the moment lateness is judged at (None: the latest report)."""

    z_min: float = 3.29
    min_cases: int = 5
    within_days: float = 30.0
    as_of: str | None = None

    def __post_init__(self) -> None:
        hotspots.HotspotParams(self.z_min, self.min_cases)
        if self.within_days <= 0:
            raise ValueError(f"within_days must be positive, not {self.within_days}")


def week_start(ts_utc: pd.Series, timezone: str) -> pd.Series:
    """Monday of each time's local week."""
    local = ts_utc.dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
    return (local - pd.to_timedelta(local.dt.dayofweek, unit="D")).dt.date


def build(settings: Settings, run_id: str, params: UrbanParams | None = None) -> dict[str, Any]:
    """Recompute the three marts from every clean case; a summary per mart."""
    params = params or UrbanParams()
    lake = Lake(settings)
    version = lake.require(CASES, "run a city-management feed's clean DAG first (e.g. urban_city_management_system_clean)")
    cases = lake.read(CASES, version=version, columns=COLUMNS)
    zone = local_timezone(CASES.name)
    as_of = pd.Timestamp(params.as_of).tz_convert("UTC") if params.as_of else cases["ts_utc"].max()
    key = idempotency_key(PIPELINE, version, repr(params), classes.service_levels_text())

    cells, found = hotspots.weekly_hotspots(
        cases.assign(week_start=week_start(cases["ts_utc"], zone)), hotspots.HotspotParams(params.z_min, params.min_cases)
    )
    levelled = classes.with_levels(cases, classes.service_levels())
    table = kpis.disposal_kpis(levelled, zone, as_of)
    again = kpis.recurrences(cases, params.within_days)
    published = {}
    for mart, rows in ((URBAN_HOTSPOTS, found), (URBAN_KPIS, table), (URBAN_RECURRENCE, again)):
        result = lake.publish(mart, rows.assign(run_id=run_id), None, run_id, f"{key}-{mart.name}")
        published[mart.name] = {"rows": len(rows), "version": result.version}
    unknown = levelled["deadline_hours"].isna()
    summary: dict[str, Any] = {
        **published,
        "input_version": version,
        "cases": len(cases),
        "cell_weeks_scored": len(cells),
        "weeks": int(cells["week_start"].nunique()) if len(cells) else 0,
        "on_time_rate": round(float(table["on_time"].sum() / max(table["judged"].sum(), 1)), 4),
        "classes_without_service_level": sorted({f"{k} {c}" for k, c in levelled.loc[unknown, ["kind", "class_code"]].values}),
    }
    write_run_record(lake, PIPELINE, run_id, summary)
    return summary
