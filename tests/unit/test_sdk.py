"""The Python SDK: docs/sdk.md's examples run as they are written, on a small lake."""

from __future__ import annotations

import datetime as dt
import doctest

import pandas as pd

from pipelines.config import PROJECT_ROOT
from pipelines.lake.catalog.environment import AIR_AQI_DAILY
from pipelines.lake.storage import Lake as LakeStorage


def aqi_days(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    """air_aqi_daily rows with only station, day and AQI filled (the other columns null)."""
    frame = AIR_AQI_DAILY.arrow_schema.empty_table().to_pandas()
    filled = pd.DataFrame({"station": [r[0] for r in rows], "local_date": [dt.date.fromisoformat(r[1]) for r in rows]})
    filled["aqi"] = pd.array([r[2] for r in rows], dtype="Int16")
    return pd.concat([frame, filled], ignore_index=True)[AIR_AQI_DAILY.names]


def test_the_sdk_page_runs_as_written(settings) -> None:
    from citylake import Lake

    storage = LakeStorage(settings)
    storage.publish(AIR_AQI_DAILY, aqi_days([("A", "2024-01-01", 50), ("B", "2024-01-01", 80)]), None, "r1", "k1")
    storage.publish(
        AIR_AQI_DAILY, aqi_days([("A", "2024-01-01", 60), ("B", "2024-01-01", 150), ("A", "2024-01-02", 40)]), None, "r2", "k2"
    )
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    results = doctest.testfile(
        str(PROJECT_ROOT / "docs" / "sdk.md"), module_relative=False, globs={"lake": Lake(settings=settings)}, optionflags=flags
    )
    assert results.attempted >= 10 and results.failed == 0


def test_the_sdk_reads_the_lake_and_nothing_else(settings) -> None:
    import duckdb
    import pytest

    from citylake import Lake

    LakeStorage(settings).publish(AIR_AQI_DAILY, aqi_days([("A", "2024-01-01", 50)]), None, "r1", "k1")
    lake = Lake(settings=settings)
    with pytest.raises(Exception, match="file system operations are disabled by configuration"):
        lake.sql("SELECT * FROM read_text('/etc/passwd')")
    with pytest.raises(Exception, match="only queries"):
        lake.sql("CREATE TABLE grab AS SELECT 1")
    con = lake.connect()  # the connection a tool gets is locked as well
    with pytest.raises(duckdb.PermissionException):
        con.sql("SELECT * FROM read_csv('/etc/passwd')").fetchall()
    with pytest.raises(duckdb.InvalidInputException, match="locked"):
        con.execute("SET enable_external_access = true")
    assert con.sql("SELECT aqi FROM air_aqi_daily").fetchall() == [(50,)]
