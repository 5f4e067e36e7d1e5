"""Hotspot cells: local hour and weekday, period labels, the trend, partial counts summed, small groups suppressed;
and the default period of the rules."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.domains.public_safety.hotspots import cell_counts, hotspots, period_label

TZ = "America/Chicago"


def incidents(local_times: list[str], districts: list[str | None]) -> pd.DataFrame:
    ts = pd.to_datetime(local_times).tz_localize(TZ).tz_convert("UTC")
    return pd.DataFrame({"ts_utc": ts, "district": districts})


def test_cells_trend_and_partial_counts() -> None:
    part_a = incidents(["2019-01-07 10:30", "2019-01-07 10:45", "2020-01-06 10:10"], ["1", "1", "1"])
    part_b = incidents(["2020-01-06 10:20", "2020-01-06 10:50", "2020-03-01 23:00"], ["1", "1", None])
    counts = pd.concat([cell_counts(part_a, "year", TZ), cell_counts(part_b, "year", TZ)])
    cells = hotspots(counts)
    assert cells.drop(columns="change_pct").fillna(-1).values.tolist() == [
        ["2019", "1", 0, 10, 2, -1, False],  # Monday 10:00 local (16:00 UTC); first period: no previous count
        ["2020", "1", 0, 10, 3, 2, False],
        ["2020", "unknown", 6, 23, 1, 0, False],  # no district: "unknown"; none there in 2019
    ]
    assert cells["change_pct"].tolist()[1] == 50.0 and cells["change_pct"].isna().tolist() == [True, False, True]


def test_small_groups_are_suppressed_with_their_trend() -> None:
    cells = hotspots(
        cell_counts(
            incidents(
                ["2019-01-07 10:30", "2019-01-07 10:45", "2020-01-06 10:10", "2020-01-06 10:20", "2020-01-06 10:50"], ["1"] * 5
            ),
            "year",
            TZ,
        ),
        min_group_size=3,
    )
    assert cells["suppressed"].tolist() == [True, True]  # 2 incidents in 2019; 2020 has 3 but would reveal the 2
    assert cells[["incidents", "previous_incidents", "change_pct"]].isna().all().all()


def test_period_labels() -> None:
    local = pd.Series(pd.to_datetime(["2019-08-31 23:30", "2019-09-01 00:10"]).tz_localize(TZ))
    assert period_label(local, "quarter").tolist() == ["2019-Q3", "2019-Q3"]
    assert period_label(local, "month").tolist() == ["2019-08", "2019-09"]
    with pytest.raises(ValueError, match="unknown period 'week'; known: year, quarter, month"):
        period_label(local, "week")


def test_the_default_mining_period_is_the_busiest_year() -> None:
    from pipelines.domains.public_safety.pipeline import default_period

    def times(*texts: str) -> pd.Series:
        return pd.Series(pd.to_datetime(list(texts), utc=True, format="ISO8601"))

    # the last hours of 2025 in UTC are already 2026 in Beijing: 2025 still has the most cases
    assert default_period(times("2025-01-01 00:30", "2025-06-01", "2025-12-31 20:00"), "Asia/Shanghai") == "2025"
    assert default_period(times("2024-03-01", "2025-02-01", "2025-06-30"), "Asia/Shanghai") == "2025"
    assert default_period(times("2024-03-01", "2025-02-01"), "Asia/Shanghai") == "2025"  # a tie: the latest
