"""The synthetic air-quality generator: deterministic, labelled, and clean by the suite's rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipelines.domains.environment import marts
from pipelines.domains.environment.synthetic import synthetic_station, write_synthetic_files
from pipelines.sources.registry import get_source
from pipelines.sources.standardize import FeedContext, standardize
from pipelines.validate.suite import load_suite


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    first = synthetic_station("SynthA", dt.date(2013, 12, 1), 5, seed=7)
    assert first == synthetic_station("SynthA", dt.date(2013, 12, 1), 5, seed=7)
    assert first != synthetic_station("SynthA", dt.date(2013, 12, 1), 5, seed=8)


def test_generated_files_are_labelled_and_pass_the_suite(tmp_path: Path) -> None:
    paths = write_synthetic_files(tmp_path, stations=2, days=60, seed=1)
    assert [p.name for p in paths] == [
        "SYNTHETIC_PRSA_Data_SynthA_20130301-20130429.csv",
        "SYNTHETIC_PRSA_Data_SynthB_20130301-20130429.csv",
    ]
    result = standardize(
        paths[0].read_bytes(),
        get_source("air_beijing"),
        load_suite("air_quality_hourly"),
        FeedContext(paths[0].name, dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
    )
    assert (result.rows_in, len(result.clean), len(result.rejects)) == (60 * 24, 60 * 24, 0)
    assert 0 < result.clean["pollutants_missing"].sum() < 0.1 * 6 * 60 * 24  # realistic gaps, not many
    daily = marts.daily_aqi(result.clean)
    assert len(daily) == 60 and daily["aqi"].notna().all()
