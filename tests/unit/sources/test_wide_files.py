"""Wide files: the reshape names which columns melt and which stay beside every value as attributes."""

from __future__ import annotations

import datetime as dt

import yaml

from pipelines.config import PROJECT_ROOT
from pipelines.sources.spec import parse_feed
from pipelines.sources.standardize import FeedContext, required_source_columns, standardize
from pipelines.validate.suite import load_suite

# one row per minute: three flats' meters in W side by side, the building's voltage, and a free-text note
WIDE = b"""time,voltage,apt_1,apt_2,apt_3,note
2024-01-15 08:00,230.5,1200,300,2500,ok
2024-01-15 08:01,231.0,1100,,2600,door open
"""


def building_feed(melt: list[str] | None):
    document = yaml.safe_load((PROJECT_ROOT / "sources" / "household_power.yaml").read_text(encoding="utf-8"))
    document.update(
        name="building_power",
        time={"column": "time", "format": "%Y-%m-%d %H:%M", "timezone": "Europe/Paris", "not_before": "2000-01-01"},
        reshape={
            "id_columns": ["time"],
            "attributes": ["voltage"],
            "variable_name": "meter",
            "value_name": "watts",
            "melt": melt,
        },
        columns={
            "meter_id": {"source": "meter"},
            "active_power_kw": {"source": "watts", "unit": "W"},
            "voltage_v": {"source": "voltage", "unit": "V"},
        },
    )
    return parse_feed(document, "sources/building_power.yaml")


def test_named_columns_melt_and_attributes_stay_on_every_row() -> None:
    spec = building_feed(["apt_*"])
    assert required_source_columns(spec) == ["time", "voltage"]
    result = standardize(WIDE, spec, load_suite(spec.suite), FeedContext("building.csv", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
    assert result.rows_in == 6 and len(result.rejects) == 0
    rows = result.clean.sort_values(["ts_utc", "meter_id"])[["meter_id", "active_power_kw", "voltage_v"]]
    assert rows.fillna(-1).values.tolist() == [  # the missing reading of apt_2 stays a row without a value
        ["apt_1", 1.2, 230.5],
        ["apt_2", 0.3, 230.5],
        ["apt_3", 2.5, 230.5],
        ["apt_1", 1.1, 231.0],
        ["apt_2", -1, 231.0],
        ["apt_3", 2.6, 231.0],
    ]


def test_without_melt_every_other_column_melts(tmp_path) -> None:
    spec = building_feed(None)
    result = standardize(WIDE, spec, load_suite(spec.suite), FeedContext("building.csv", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
    # the note melts too: its words are no power reading, and each such row is quarantined with its reason
    assert result.rows_in == 8
    assert result.rejects["reason_code"].tolist() == ["TYPE_MISMATCH", "TYPE_MISMATCH"]
    assert sorted(result.clean["meter_id"].unique()) == ["apt_1", "apt_2", "apt_3"]
