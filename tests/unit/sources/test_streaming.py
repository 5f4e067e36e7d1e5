"""A file read in small chunks gives exactly what it gives read whole: rows, reasons, lines, dedup, gaps."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import re

import pandas as pd
import pytest

from pipelines.cleanse.geo import read_districts
from pipelines.sources.registry import get_source
from pipelines.sources.standardize import FeedContext, standardize
from pipelines.sources.streaming import (
    Piece,
    bucket_count,
    cut_pieces,
    read_piece,
    record_chunks,
    splittable,
    standardize_stream,
    streamable,
)
from pipelines.validate.suite import load_suite
from tests.conftest import DATA_DIR, require_data
from tests.unit.sources.test_corpus import CORPUS, feed, run
from tests.unit.sources.test_standardize_air import DIRTY

ARRIVED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def streamed(content: bytes, spec, context: FeedContext, chunk_bytes: int, buckets: int = 3):
    clean: list[pd.DataFrame] = []
    result = standardize_stream(
        lambda: io.BytesIO(content), spec, load_suite(spec.suite), context, clean.append, chunk_bytes, buckets
    )
    frame = pd.concat(clean, ignore_index=True) if clean else pd.DataFrame(columns=spec.canonical.names)
    return result, frame.sort_values("source_line").reset_index(drop=True)


def assert_same(whole, result, frame) -> None:
    assert result.balanced
    assert (result.rows_in, result.rows_clean, result.rows_deduplicated, result.gaps) == (
        whole.rows_in,
        len(whole.clean),
        whole.rows_deduplicated,
        whole.gaps,
    )
    assert (
        result.rejects[["source_line", "reason_code", "reason_detail", "raw_record"]].values.tolist()
        == whole.rejects[["source_line", "reason_code", "reason_detail", "raw_record"]].values.tolist()
    )
    expected = whole.clean.sort_values("source_line").reset_index(drop=True)
    pd.testing.assert_frame_equal(frame[expected.columns].astype(object), expected.astype(object))


@pytest.mark.parametrize("chunk_bytes", [1, 150, 400, 10_000])
def test_air_dirty_file_in_chunks(chunk_bytes: int) -> None:
    spec = get_source("air_beijing")
    context = FeedContext("PRSA_Data_Huairou_test.csv", ARRIVED)
    whole = standardize(DIRTY, spec, load_suite(spec.suite), context)
    result, frame = streamed(DIRTY, spec, context, chunk_bytes)
    assert_same(whole, result, frame)
    if chunk_bytes == 1:
        assert result.chunks == 17  # one per line: 16 records and the blank line at the end


@pytest.mark.parametrize("compress", [False, True])
def test_corpus_file_in_chunks_plain_and_gzip(compress: bool) -> None:
    content = (CORPUS / "events_utf8.csv").read_bytes()
    whole = run(feed("corpus_events"), content, "events_utf8.csv")
    districts_context = FeedContext("events_utf8.csv", ARRIVED, read_districts(CORPUS / "beijing_two_districts.geojson", "name"))
    result, frame = streamed(gzip.compress(content) if compress else content, feed("corpus_events"), districts_context, 120)
    assert_same(whole, result, frame)
    assert result.chunks > 5


def test_records_are_never_cut_inside_a_quoted_value() -> None:
    text = b'a,b\n1,"x\ny"\n2,z\n'
    chunks = list(record_chunks(io.BytesIO(text), True, '"', 1))
    assert chunks == [(b'a,b\n1,"x\ny"\n', 2), (b"a,b\n2,z\n", 4)]


def test_pieces_hold_whole_records_and_know_their_first_line() -> None:
    text = b'a,b\n1,"x\ny"\n2,z\n3,"p\nq\nr"\n4,w'  # quoted line ends; the last record has no line end
    for block in (1, 3, 64):  # the cut is the same whatever block the file is read in
        header, pieces = cut_pieces(io.BytesIO(text), True, '"', 1, block_bytes=block)
        assert header == b"a,b\n"
        assert pieces == [Piece(4, 12, 2), Piece(12, 16, 4), Piece(16, 26, 5), Piece(26, 29, 8)]
        assert [read_piece(io.BytesIO(text), header, p) for p in pieces] == [
            b'a,b\n1,"x\ny"\n',
            b"a,b\n2,z\n",
            b'a,b\n3,"p\nq\nr"\n',
            b"a,b\n4,w",
        ]
    header, pieces = cut_pieces(io.BytesIO(text), True, '"', 10, block_bytes=4)  # about 10 bytes a piece
    assert pieces == [Piece(4, 16, 2), Piece(16, 29, 5)]
    assert cut_pieces(io.BytesIO(b"1,2\n3,4\n"), False, None, 1) == (b"", [Piece(0, 4, 1), Piece(4, 8, 2)])
    assert cut_pieces(io.BytesIO(b"a,b\n"), True, '"', 1) == (b"a,b\n", [])


def test_what_streams() -> None:
    assert streamable(get_source("air_beijing")) and streamable(get_source("chicago_assaults"))
    assert not streamable(get_source("metr_la_speeds"))  # wide-to-long needs the whole file's columns
    assert bucket_count(10 * 2**20, 2**20, compressed=False) == 10
    assert bucket_count(10, 2**20, compressed=True) == 1
    assert splittable(get_source("air_beijing")) and not splittable(get_source("chicago_assaults"))  # hashed ids


def test_hashed_ids_are_the_same_in_chunks() -> None:
    """Records without an id: equal records keep distinct ids across chunk boundaries too."""
    from pipelines.config import load_settings
    from pipelines.lake.ingest import RawFile
    from pipelines.sources.context import feed_context

    lines = gzip.decompress(require_data(DATA_DIR / "crime/chicago/chicago_aggravated_assaults.csv.gz").read_bytes())
    content = b"".join(lines.splitlines(keepends=True)[:3001])
    content += b"".join(content.splitlines(keepends=True)[1:4])  # three records delivered twice, in a later chunk
    spec = get_source("chicago_assaults")
    raw = RawFile(spec.name, "c.csv", "0" * 64, 0, None, "", "", ARRIVED.isoformat(), "t")
    context = feed_context(spec, load_settings(data_dir=DATA_DIR), raw)
    whole = standardize(content, spec, load_suite(spec.suite), context)
    result, frame = streamed(content, spec, context, 20_000, buckets=4)
    assert_same(whole, result, frame)
    assert frame["incident_id"].is_unique and len(frame) == 3003  # 3000 + 3 repeated records
    assert int(frame["outside_districts"].sum()) == 1  # one point in the city but in no district: kept, flagged


def test_a_large_file_is_planned_in_pieces_unless_compressed_or_alone(tmp_path) -> None:
    """The plan covers the file's records once, in order, about one piece per worker; gzip is read on one worker."""
    from pipelines.config import load_settings
    from pipelines.flows.split import plan_split, splits
    from pipelines.lake.ingest import RawFile

    spec = get_source("air_beijing")
    content = require_data(DATA_DIR / "air/beijing/PRSA_Data_Dingling_20130301-20170228.csv").read_bytes()[:200_000]
    content = content[: content.rindex(b"\n") + 1]
    settings = load_settings(lake_uri=str(tmp_path / "lake"), chunk_mib=0.1)  # 100 KiB chunks
    plain, packed = tmp_path / "d.csv", tmp_path / "d.csv.gz"
    plain.write_bytes(content)
    packed.write_bytes(gzip.compress(content))

    def raw(path) -> RawFile:
        return RawFile(spec.name, path.name, "ab" * 32, path.stat().st_size, None, str(path), "", ARRIVED.isoformat(), "t")

    assert splits(raw(plain), spec, settings, workers=2)
    assert not splits(raw(plain), spec, settings, workers=1)
    assert not splits(raw(plain), spec, load_settings(lake_uri=str(tmp_path / "lake"), chunk_mib=1), workers=2)
    assert not splits(raw(plain), spec, settings.model_copy(update={"split_large_files": False}), workers=2)
    plan = plan_split(raw(plain), spec, settings, "run-1", workers=4)  # 4 workers: pieces of 50,000 bytes at most
    assert plan is not None and plan.header == content[: content.index(b"\n") + 1]
    assert plan.pieces[0].start == len(plan.header) and plan.pieces[-1].end == len(content)
    assert all(a.end == b.start for a, b in zip(plan.pieces, plan.pieces[1:], strict=False))
    assert len(plan.pieces) == 4 and plan.buckets == 4 and plan.encoding == "utf-8"
    lines = content.splitlines(keepends=True)
    assert [p.first_line for p in plan.pieces] == [content[: p.start].count(b"\n") + 1 for p in plan.pieces]
    assert lines[plan.pieces[1].first_line - 1] == content[plan.pieces[1].start :].splitlines(keepends=True)[0]
    assert re.fullmatch(f"{tmp_path}/lake/_meta/spill/run-1-{'ab' * 8}-[0-9a-f]{{8}}", plan.spill)
    assert plan_split(raw(plain), spec, settings, "run-1", workers=4).spill != plan.spill  # a retry starts afresh
    assert plan_split(raw(packed), spec, settings, "run-1", workers=4) is None


def test_a_key_lands_in_the_same_bucket_whatever_its_instants_unit_or_zone() -> None:
    from pipelines.sources.streaming import by_bucket

    spec = get_source("air_beijing")  # key: station, ts_utc
    instants = pd.to_datetime(["2024-01-01 00:00", "2024-01-01 01:00", "2024-07-01 12:00", None], utc=True)
    frames = [
        pd.DataFrame({"station": ["A", "B", "A", "C"], "ts_utc": instants.as_unit(unit).tz_convert(zone), "n": range(4)})
        for unit, zone in (("ns", "UTC"), ("us", "UTC"), ("s", "Asia/Shanghai"))
    ]
    placed = [
        {int(n): bucket for bucket, part in by_bucket(frame, spec, 7) for n in part.column("n").to_pylist()} for frame in frames
    ]
    assert placed[0] == placed[1] == placed[2] and sorted(placed[0]) == [0, 1, 2, 3]
