"""Missing steps of regular series: per entity (a key of one or more columns besides the time), combinable over
chunks of a file."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from pipelines.sources.standardize import count_gaps, gap_extents


def spec(key: tuple[str, ...]) -> SimpleNamespace:
    return SimpleNamespace(canonical=SimpleNamespace(key=key, time_column="ts"), time=SimpleNamespace(expected_interval="1h"))


def readings(rows: list[tuple[str, int, int]]) -> pd.DataFrame:
    """(line, sensor, hour of 2024-01-01)."""
    return pd.DataFrame(
        {
            "line": [r[0] for r in rows],
            "sensor": pd.array([r[1] for r in rows], dtype="Int64"),
            "ts": [pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(hours=r[2]) for r in rows],
        }
    )


def test_extents_per_entity_of_two_columns_and_gaps_over_chunks() -> None:
    two = spec(("line", "sensor", "ts"))
    first = readings([("A", 1, 0), ("A", 1, 1), ("B", 2, 0), ("A", 1, 1)])  # a repeated hour counts once
    second = readings([("A", 1, 5), ("B", 2, 3), ("B", 2, 2)])
    extents = gap_extents(first, two)
    assert extents["entity"].tolist() == ["A|1", "B|2"]
    assert extents["present"].tolist() == [2, 1]
    assert extents["last"].tolist() == [pd.Timestamp("2024-01-01T01:00Z"), pd.Timestamp("2024-01-01T00:00Z")]
    # A: hours 0, 1, 5 of 0-5 (3 missing); B: 0, 2, 3 of 0-3 (1 missing)
    assert count_gaps(pd.concat([extents, gap_extents(second, two)], ignore_index=True), two) == 4


def test_a_series_without_an_entity_is_one_series() -> None:
    alone = spec(("ts",))
    extents = gap_extents(readings([("A", 1, 0), ("B", 2, 4)]), alone)
    assert extents["entity"].tolist() == [""] and extents["present"].tolist() == [2]
    assert count_gaps(extents, alone) == 3
