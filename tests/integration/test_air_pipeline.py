"""The air-quality jobs on a Dask LocalCluster, on slices of the real data: ledger, gate, idempotent reruns."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipelines.bi.sql import query
from pipelines.cli import main
from pipelines.domains.environment import pipeline
from pipelines.lake import delta
from pipelines.lake.layout import Zone
from pipelines.lake.ledger import read_ledger
from pipelines.lake.storage import Lake
from pipelines.validate.gate import QualityGateError
from tests.conftest import beijing_slice

pytestmark = pytest.mark.slow
ARRIVED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
HOURS = 24 * 21  # three weeks of each station


def deliver_bytes(lake: Lake, name: str, content: bytes) -> None:
    lake.write_bytes(f"{lake.layout.landing_dir(pipeline.SOURCE_NAME)}/{name}", content)


def dirty(content: bytes, bad_lines: dict[int, bytes]) -> bytes:
    """Replace whole lines (1-based, header is line 1) of a file."""
    lines = content.splitlines(keepends=True)
    for number, replacement in bad_lines.items():
        lines[number - 1] = replacement
    return b"".join(lines)


def table(lake: Lake, zone: Zone, name: str, sort: list[str]) -> pd.DataFrame:
    return delta.read_table(lake, lake.layout.table(zone, name)).sort_values(sort).reset_index(drop=True)


def test_clean_and_marts_then_an_identical_rerun(settings, dask_client, monkeypatch, capsys) -> None:
    lake = Lake(settings)
    lake.ensure_exists()
    huairou = beijing_slice("Huairou", HOURS)
    deliver_bytes(lake, "PRSA_Data_Huairou_20130301-20170228.csv", huairou)
    deliver_bytes(
        lake,
        "PRSA_Data_Dingling_20130301-20170228.csv",
        dirty(
            beijing_slice("Dingling", HOURS),
            {5: b"bad,line\n", 6: b'5,2013,3,1,4,-1,4,3,NA,100,92,-2.7,1020.8,-20.5,0,"NNW",1.5,"Dingling"\n'},
        ),
    )
    pipeline.ingest(settings, "run-1", ARRIVED)
    summary = pipeline.clean(settings, "run-1", dask_client)
    assert (summary.rows_in, summary.rows_clean, summary.rows_quarantined, summary.rows_deduplicated) == (
        2 * HOURS,
        2 * HOURS - 2,
        2,
        0,
    )
    assert summary.quarantined_by_reason == {"CONCENTRATION_OUT_OF_RANGE": 1, "FIELD_COUNT_MISMATCH": 1}
    assert summary.partitions == ["Dingling", "Huairou"]
    ledger = read_ledger(lake, "air_quality_hourly")
    assert ledger[["source_partition", "rows_in", "rows_clean", "rows_quarantined", "rows_deduplicated"]].values.tolist() == [
        ["Dingling", HOURS, HOURS - 2, 2, 0],
        ["Huairou", HOURS, HOURS, 0, 0],
    ]
    quarantined = table(lake, Zone.QUARANTINE, "air_quality_hourly", ["source_line"])
    assert quarantined[["source_partition", "source_line", "reason_code", "run_id"]].values.tolist() == [
        ["Dingling", 5, "FIELD_COUNT_MISMATCH", "run-1"],
        ["Dingling", 6, "CONCENTRATION_OUT_OF_RANGE", "run-1"],
    ]
    marts = pipeline.build_marts(settings, "run-1", dask_client)
    assert {name: m["rows"] for name, m in marts.items()} == {
        "air_aqi_hourly": 2 * HOURS - 2,
        "air_aqi_daily": 2 * 21,
        "air_pollution_episodes": marts["air_pollution_episodes"]["rows"],
        "air_aqi_monthly": 2,  # March 2013 at each station
    }
    # the real first three weeks of March 2013 at Huairou: a haze episode on 2013-03-06 local time
    hourly = query(settings, "SELECT count(*) AS n, max(aqi) AS top FROM air_aqi_hourly WHERE station = 'Huairou'")
    assert hourly["n"].iloc[0] == HOURS

    # the same through the command line an analyst uses
    monkeypatch.setenv("CITYLAKE_LAKE_URI", settings.lake_uri)
    assert (
        main(
            ["query", "SELECT station, count(*) AS days FROM air_aqi_daily GROUP BY station ORDER BY station", "--format", "csv"]
        )
        == 0
    )
    assert capsys.readouterr().out == "station,days\nDingling,21\nHuairou,21\n"
    assert main(["tables"]) == 0
    listed = [line.split()[:3] for line in capsys.readouterr().out.splitlines()]
    assert ["air_aqi_daily", "curated", "42"] in listed and ["meta_ledger", "_meta", "2"] in listed
    assert main(["query", "SELECT * FROM no_such_table"]) == 1
    assert "Catalog Error" in capsys.readouterr().err

    before = {name: table(lake, Zone.CURATED, name, ["station", marts_key(name)]) for name in pipeline.MARTS}
    clean_before = table(lake, Zone.CLEAN, "air_quality_hourly", ["station", "ts_utc"])
    versions = {name: delta.table_version(lake, lake.layout.table(Zone.CURATED, name)) for name in pipeline.MARTS}

    # a second run with the same deliveries: nothing new to publish, the same tables
    assert pipeline.ingest(settings, "run-2", ARRIVED).new == []
    again = pipeline.clean(settings, "run-2", dask_client)
    assert again.skipped_as_duplicate and again.rows_clean == summary.rows_clean
    pipeline.build_marts(settings, "run-2", dask_client)
    assert {name: delta.table_version(lake, lake.layout.table(Zone.CURATED, name)) for name in pipeline.MARTS} == versions
    pd.testing.assert_frame_equal(table(lake, Zone.CLEAN, "air_quality_hourly", ["station", "ts_utc"]), clean_before)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(table(lake, Zone.CURATED, name, ["station", marts_key(name)]), frame)

    # the department re-delivers Dingling corrected: only Dingling is replaced, Huairou keeps its files
    huairou_files = delta_files(lake, "station=Huairou")
    deliver_bytes(lake, "PRSA_Data_Dingling_20130301-20170228.csv", beijing_slice("Dingling", HOURS))
    assert len(pipeline.ingest(settings, "run-3", ARRIVED + dt.timedelta(hours=1)).new) == 1
    fixed = pipeline.clean(settings, "run-3", dask_client)
    assert (fixed.partitions, fixed.rows_clean, fixed.rows_quarantined) == (["Dingling"], HOURS, 0)
    assert delta_files(lake, "station=Huairou") == huairou_files  # untouched
    assert len(table(lake, Zone.QUARANTINE, "air_quality_hourly", ["source_line"])) == 0
    assert len(table(lake, Zone.CLEAN, "air_quality_hourly", ["station", "ts_utc"])) == 2 * HOURS

    # Huairou re-delivered under a new name, one day longer: it supersedes the old file, no duplicates
    deliver_bytes(lake, "PRSA_Data_Huairou_20130301-20170301.csv", beijing_slice("Huairou", HOURS + 24))
    pipeline.ingest(settings, "run-4", ARRIVED + dt.timedelta(hours=2))
    longer = pipeline.clean(settings, "run-4", dask_client)
    assert (longer.partitions, longer.rows_clean) == (["Huairou"], HOURS + 24)
    clean = table(lake, Zone.CLEAN, "air_quality_hourly", ["station", "ts_utc"])
    assert clean.groupby("station").size().to_dict() == {"Dingling": HOURS, "Huairou": HOURS + 24}
    assert set(clean.loc[clean["station"] == "Huairou", "source_file"]) == {"PRSA_Data_Huairou_20130301-20170301.csv"}


def marts_key(name: str) -> str:
    return {
        "air_aqi_hourly": "ts_utc",
        "air_aqi_daily": "local_date",
        "air_pollution_episodes": "start_utc",
        "air_aqi_monthly": "month",
    }[name]


def delta_files(lake: Lake, partition: str) -> list[str]:
    from deltalake import DeltaTable

    uri = lake.layout.table(Zone.CLEAN, "air_quality_hourly")
    return sorted(f for f in DeltaTable(uri, storage_options=lake.storage_options()).file_uris() if partition in f)


def test_a_batch_beyond_the_threshold_publishes_nothing(settings, dask_client) -> None:
    lake = Lake(settings)
    lake.ensure_exists()
    content = beijing_slice("Shunyi", 100)
    broken = dirty(content, {n: b"broken\n" for n in range(2, 8)})  # 6 of 100 rows: 6 % > 5 %
    deliver_bytes(lake, "PRSA_Data_Shunyi_20130301-20170228.csv", broken)
    pipeline.ingest(settings, "run-1", ARRIVED)
    with pytest.raises(QualityGateError) as error:
        pipeline.clean(settings, "run-1", dask_client)
    assert "Shunyi (PRSA_Data_Shunyi_20130301-20170228.csv): 6 of 100 rows quarantined (6.0% > threshold 5.0%" in str(error.value)
    assert "FIELD_COUNT_MISMATCH=6" in str(error.value)
    for zone in (Zone.CLEAN, Zone.QUARANTINE):
        uri = lake.layout.table(zone, "air_quality_hourly")
        assert not delta.table_exists(lake, uri)
        assert lake.glob(f"{uri}/**/*.parquet") == []  # the workers' part files were removed
    assert read_ledger(lake).empty


def test_a_run_that_failed_after_publishing_but_before_its_ledger_is_completed_by_the_next(
    settings, dask_client, monkeypatch
) -> None:
    from pipelines.flows import clean as clean_flow

    lake = Lake(settings)
    lake.ensure_exists()
    deliver_bytes(lake, "PRSA_Data_Huairou_20130301-20170228.csv", beijing_slice("Huairou", 48))
    pipeline.ingest(settings, "run-1", ARRIVED)

    def outage(*args, **kwargs):
        raise OSError("Generic S3 error: connection closed before message completed")

    with monkeypatch.context() as patched:
        patched.setattr(clean_flow, "record_ledger", outage)
        with pytest.raises(OSError, match="connection closed"):
            pipeline.clean(settings, "run-1", dask_client)
    assert len(table(lake, Zone.CLEAN, "air_quality_hourly", ["ts_utc"])) == 48  # published...
    assert read_ledger(lake, "air_quality_hourly").empty  # ...without its accounting

    summary = pipeline.clean(settings, "run-2", dask_client)
    assert summary.skipped_as_duplicate  # the data was already there: not written twice
    assert read_ledger(lake, "air_quality_hourly")[["source_partition", "rows_in", "rows_clean"]].values.tolist() == [
        ["Huairou", 48, 48]
    ]
    assert len(table(lake, Zone.CLEAN, "air_quality_hourly", ["ts_utc"])) == 48
