"""OpenLineage events: every publish of a declared table records which job made which version from which inputs."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipelines.lake import lineage
from pipelines.lake.catalog import catalog, clean_dataset
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake


def declared(table, records: list[dict]) -> pd.DataFrame:
    return pd.concat([table.arrow_schema.empty_table().to_pandas(), pd.DataFrame(records)], ignore_index=True)[table.names]


def hour(station: str, ts: str, pm25: float) -> dict:
    return {
        "station": station,
        "ts_utc": pd.Timestamp(ts, tz="UTC"),
        "pm25_ug_m3": pm25,
        "source_file": "f.csv",
        "source_line": 2,
    }


def test_a_mart_publish_names_its_job_its_inputs_at_the_versions_read_and_its_new_version(settings) -> None:
    lake = Lake(settings)
    clean = clean_dataset("air_quality_hourly")
    lake.publish(clean, declared(clean, [hour("Dingling", "2016-01-01 00:00", 80.0)]), None, "clean-1", "k1")
    lake.publish(clean, declared(clean, [hour("Dingling", "2016-01-01 01:00", 90.0)]), None, "clean-2", "k2")

    marts = Lake(settings)  # another process: the marts job
    assert len(marts.read(clean, version=1)) == 1
    daily = catalog()[(Zone.CURATED, "air_aqi_daily")]
    published = marts.publish(
        daily,
        declared(daily, [{"station": "Dingling", "local_date": pd.Timestamp("2016-01-01").date(), "aqi": 120}]),
        None,
        "manual__1",
        "k3",
    )

    path = f"{lake.layout.lineage_dir(Zone.CURATED, 'air_aqi_daily')}/{published.version:020d}.json"
    event = json.loads(lake.read_bytes(path))
    assert event["eventType"] == "COMPLETE"
    assert event["job"] == {"namespace": "citylake", "name": "environment_aqi_marts", "facets": {}}
    assert event["run"]["runId"] == lineage.run_uuid("environment_aqi_marts", "manual__1")
    assert [(i["namespace"], i["name"], i["facets"]["version"]["datasetVersion"]) for i in event["inputs"]] == [
        ("file", lake.uri(clean), "1")  # the version this job read, not the newer one
    ]
    (output,) = event["outputs"]
    assert (output["namespace"], output["name"]) == ("file", lake.uri(daily))
    assert output["facets"]["version"]["datasetVersion"] == str(published.version)
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == 1
    fields = {f["name"]: (f["type"], f["description"]) for f in output["facets"]["schema"]["fields"]}
    assert fields["aqi"] == ("int16", "the maximum of the available IAQIs") and len(fields) == len(daily.columns)

    clean_event = json.loads(lake.read_bytes(f"{lake.layout.lineage_dir(Zone.CLEAN, 'air_quality_hourly')}/{2:020d}.json"))
    assert clean_event["job"]["name"] == clean.producer and clean_event["inputs"] == []


def test_a_rerun_that_publishes_nothing_new_emits_nothing_and_a_clean_run_names_its_raw_files(settings) -> None:
    lake = Lake(settings)
    clean = clean_dataset("air_quality_hourly")
    lake.record_input(f"{settings.lake_uri}/raw/air_beijing/abc/PRSA_Data_Dingling.csv", "abc")
    first = lake.publish(clean, declared(clean, [hour("Dingling", "2016-01-01 00:00", 80.0)]), None, "r1", "same-key")
    again = lake.publish(clean, declared(clean, [hour("Dingling", "2016-01-01 00:00", 80.0)]), None, "r2", "same-key")
    assert again.skipped_as_duplicate
    events = lake.glob(f"{lake.layout.lineage_dir(Zone.CLEAN, 'air_quality_hourly')}/*.json")
    assert [e.rsplit("/", 1)[1] for e in events] == [f"{first.version:020d}.json"]
    (read,) = json.loads(lake.read_bytes(events[0]))["inputs"]
    assert (
        read["name"].endswith("/raw/air_beijing/abc/PRSA_Data_Dingling.csv")
        and read["facets"]["version"]["datasetVersion"] == "abc"
    )


def test_s3_locations_are_named_by_bucket_and_local_ones_by_path() -> None:
    assert lineage.dataset_id("s3://city-lake/lake/curated/air_aqi_daily") == ("s3://city-lake", "lake/curated/air_aqi_daily")
    assert lineage.dataset_id("/srv/lake/clean/x") == ("file", "/srv/lake/clean/x")


def test_a_lineage_server_gets_the_event_too_and_its_failure_never_fails_the_publish(settings, monkeypatch, caplog) -> None:
    monkeypatch.setenv("OPENLINEAGE_URL", "http://127.0.0.1:9")  # nothing listens: the send fails
    lake = Lake(settings)
    clean = clean_dataset("air_quality_hourly")
    published = lake.publish(clean, declared(clean, [hour("Huairou", "2016-01-01 00:00", 10.0)]), None, "r", "k")
    assert published.version == 1 and lake.read(clean)["station"].tolist() == ["Huairou"]
    assert any("OpenLineage event of clean/air_quality_hourly version 1 was not emitted" in r.message for r in caplog.records)


@pytest.mark.parametrize("table", [t for t in catalog().values() if t.inputs], ids=lambda t: t.ref)
def test_declared_inputs_are_tables_of_the_catalog(table) -> None:
    refs = {t.ref for t in catalog().values()}
    assert set(table.inputs) <= refs
