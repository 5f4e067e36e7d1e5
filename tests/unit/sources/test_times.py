"""Times that mean what the department meant: Z-marked local clocks, offsets that contradict the zone, DST row clocks."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import yaml

from pipelines.config import PROJECT_ROOT, load_settings
from pipelines.sources.check import check_report
from pipelines.sources.spec import FeedConfigError, parse_feed
from pipelines.sources.standardize import FeedContext, standardize
from pipelines.validate.suite import load_suite

ARRIVED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def water_feed(**time: object):
    document = yaml.safe_load((PROJECT_ROOT / "sources" / "pipe_flow.yaml").read_text(encoding="utf-8"))
    document["time"] = {"not_before": "2000-01-01", **time}
    return parse_feed(document, "sources/x.yaml")


def clean_times(spec, content: bytes) -> list[str]:
    result = standardize(content, spec, load_suite(spec.suite), FeedContext("water_flow.csv", ARRIVED))
    assert len(result.rejects) == 0, result.rejects[["reason_code", "reason_detail"]].to_dict("records")
    return [f"{t:%Y-%m-%dT%H:%M}Z" for t in result.clean["ts_utc"]]


Z_MARKED = b"Time,Water flow [l/s]\n2024-05-01T08:00:00Z,1.5\n2024-05-01T09:00:00Z,1.6\n2024-05-01T10:00:00+00:00,1.7\n"


def test_local_clock_times_exported_with_a_z_are_read_in_the_declared_zone() -> None:
    ignored = water_feed(column="Time", timezone="Asia/Shanghai", offsets="ignore")
    assert clean_times(ignored, Z_MARKED) == ["2024-05-01T00:00Z", "2024-05-01T01:00Z", "2024-05-01T02:00Z"]
    trusted = water_feed(column="Time", timezone="Asia/Shanghai")
    assert clean_times(trusted, Z_MARKED) == ["2024-05-01T08:00Z", "2024-05-01T09:00Z", "2024-05-01T10:00Z"]


def test_sources_check_flags_offsets_that_contradict_the_declared_zone(tmp_path) -> None:
    sample = tmp_path / "water_flow.csv"
    sample.write_bytes(Z_MARKED)
    settings = load_settings(data_dir=PROJECT_ROOT)
    report = check_report(water_feed(column="Time", timezone="Asia/Shanghai"), sample, settings)
    assert (
        "warning: 3 of 3 times carry the offset +00:00 although Asia/Shanghai is +08:00 at those instants "
        "(the hour-of-day profile shifts by +08:00): if the department exports local clock times with a Z or an offset, "
        "declare time.offsets: ignore" in report
    )
    assert "warning" not in check_report(water_feed(column="Time", timezone="Asia/Shanghai", offsets="ignore"), sample, settings)
    honest = tmp_path / "water_flow_honest.csv"
    honest.write_bytes(b"Time,Water flow [l/s]\n2024-05-01T08:00:00+08:00,1.5\n2024-05-01T09:00:00+08:00,1.6\n")
    assert "warning" not in check_report(water_feed(column="Time", timezone="Asia/Shanghai"), honest, settings)


HALF_HOURLY = ("Water flow [l/s]\n" + "\n".join(str(1 + i / 10) for i in range(6)) + "\n").encode()


def test_a_row_clock_in_elapsed_time_crosses_the_spring_change_without_a_hole() -> None:
    spec = water_feed(row_clock={"start": "2024-03-31T01:00:00", "step": "30min", "counts": "elapsed"}, timezone="Europe/Paris")
    times = clean_times(spec, HALF_HOURLY)
    assert times == [f"2024-03-31T{h}Z" for h in ("00:00", "00:30", "01:00", "01:30", "02:00", "02:30")]


def test_a_row_clock_in_wall_clock_time_has_no_such_hour_in_spring() -> None:
    spec = water_feed(row_clock={"start": "2024-03-31T01:00:00", "step": "30min"}, timezone="Europe/Paris")
    result = standardize(HALF_HOURLY, spec, load_suite(spec.suite), FeedContext("water_flow.csv", ARRIVED))
    # 02:00 and 02:30 local do not exist on 2024-03-31 in Paris: those rows are quarantined, the others land
    assert result.rejects["reason_code"].tolist() == ["INVALID_TIMESTAMP", "INVALID_TIMESTAMP"]
    assert [f"{t:%H:%M}" for t in pd.DatetimeIndex(result.clean["ts_utc"])] == ["00:00", "00:30", "01:00", "01:30"]


def test_ignoring_offsets_needs_the_zone_of_the_clock() -> None:
    with pytest.raises(
        FeedConfigError, match=r"^sources/x\.yaml: time: 'offsets: ignore' needs the 'timezone' whose clock the values show$"
    ):
        water_feed(column="Time", offsets="ignore")


EPOCHS = b"Time,Water flow [l/s]\n1714550400,1.5\n1714554000.5,1.6\nsoon,1.7\n"


def test_epoch_seconds_and_milliseconds_are_utc_and_a_word_is_no_time() -> None:
    seconds = water_feed(column="Time", epoch="s")
    result = standardize(EPOCHS, seconds, load_suite(seconds.suite), FeedContext("water_flow.csv", ARRIVED))
    assert [f"{t:%Y-%m-%dT%H:%M:%S.%f}" for t in result.clean["ts_utc"]] == [
        "2024-05-01T08:00:00.000000",
        "2024-05-01T09:00:00.500000",
    ]
    assert result.rejects[["reason_code", "reason_detail"]].values.tolist() == [["INVALID_TIMESTAMP", "no such time: 'soon'"]]
    millis = water_feed(column="Time", epoch="ms")
    assert clean_times(millis, b"Time,Water flow [l/s]\n1714550400000,1.5\n") == ["2024-05-01T08:00Z"]


def test_epoch_takes_no_format() -> None:
    with pytest.raises(FeedConfigError, match="'epoch' reads one 'column' of numbers: it takes no 'format'"):
        water_feed(column="Time", epoch="ms", format="%s")
