"""A file read in small chunks gives exactly what it gives read whole: rows, reasons, lines, dedup, gaps."""

from __future__ import annotations

import datetime as dt
import gzip
import io

import pandas as pd
import pytest

from pipelines.cleanse.geo import read_districts
from pipelines.sources.registry import get_source
from pipelines.sources.standardize import FeedContext, standardize
from pipelines.sources.streaming import bucket_count, record_chunks, standardize_stream, streamable
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


def test_what_streams() -> None:
    assert streamable(get_source("air_beijing")) and streamable(get_source("chicago_assaults"))
    assert not streamable(get_source("metr_la_speeds"))  # wide-to-long needs the whole file's columns
    assert bucket_count(10 * 2**20, 2**20, compressed=False) == 10
    assert bucket_count(10, 2**20, compressed=True) == 1


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
