"""Every lake path comes from one place, and names cannot escape their folder."""

from __future__ import annotations

import pytest

from pipelines.lake.layout import LakeLayout, Zone


def test_paths_for_a_bucket() -> None:
    layout = LakeLayout("s3://city/lake")
    assert layout.landing_dir("air_beijing") == "s3://city/lake/landing/air_beijing"
    assert layout.raw_object("air_beijing", "ab12", "f.csv") == "s3://city/lake/raw/air_beijing/ab12/f.csv"
    assert layout.manifest("air_beijing", "f.csv", "ab12") == "s3://city/lake/_meta/manifests/air_beijing/f.csv/ab12.json"
    assert layout.table(Zone.CURATED, "air_aqi_daily") == "s3://city/lake/curated/air_aqi_daily"
    assert layout.ledger_table() == "s3://city/lake/_meta/ledger"
    assert layout.run_record("environment_air_clean", "manual__2026-01-01T00:00:00+00:00") == (
        "s3://city/lake/_meta/runs/environment_air_clean/manual__2026-01-01T00_00_00_00_00.json"
    )
    assert layout.run_artifact("traffic_model_training", "manual__2026-01-01T00:00:00+00:00", "leaderboard.png") == (
        "s3://city/lake/_meta/runs/traffic_model_training/manual__2026-01-01T00_00_00_00_00/leaderboard.png"
    )
    assert layout.models_dir("traffic_model_training", "20120308T0755Z-1f8ab348") == (
        "s3://city/lake/_meta/models/traffic_model_training/20120308T0755Z-1f8ab348"
    )
    with pytest.raises(ValueError, match=r"invalid artifact name '\*.png'"):
        layout.run_artifact("p", "r", "*.png")


@pytest.mark.parametrize("name", ["../etc", "a/b", "", ".hidden", "a b"])
def test_names_that_could_escape_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="invalid file name"):
        LakeLayout("/lake").raw_object("src", "ab", name)


def test_landing_and_raw_hold_files_not_tables() -> None:
    with pytest.raises(ValueError, match="zone 'raw' holds files, not tables"):
        LakeLayout("/lake").table(Zone.RAW, "x")
