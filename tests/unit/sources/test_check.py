"""`citylake sources check`: what a feed would make of a sample, written nowhere."""

from __future__ import annotations

from pipelines.config import PROJECT_ROOT, load_settings
from pipelines.sources.check import check_report, list_report
from pipelines.sources.registry import all_sources
from tests.unit.sources.test_corpus import CORPUS, feed


def test_check_report_counts_reasons_and_shows_rows(tmp_path) -> None:
    settings = load_settings(lake_uri=str(tmp_path / "lake"), data_dir=PROJECT_ROOT)
    report = check_report(feed("corpus_events"), CORPUS / "events_utf8.csv", settings, rows=2).splitlines()
    assert report[1] == "rows in 21: clean 3, quarantined 17, deduplicated 1; encoding utf-8"
    assert report[2] == "would be quarantined:"
    reasons = [line.split()[0] for line in report[3:20]]
    assert reasons[:4] == ["ANCIENT_TIMESTAMP", "DUPLICATE_KEY_CONFLICT", "ENCODING_ERROR", "FIELD_COUNT_MISMATCH"]
    assert (
        "  SWAPPED_COORDINATES                1  e.g. line 6: (116.35, 39.91) lies in the city only with latitude and longitude swapped"
        in report
    )
    assert report[-4] == "first 2 mapped rows:" and report[-2].split()[0] == "E1"
    assert not (tmp_path / "lake").exists()  # nothing written


def test_list_report_names_every_feed() -> None:
    report = list_report(all_sources(), load_settings()).splitlines()
    assert report[0].split()[:4] == ["feed", "department", "dataset", "format"]
    assert [line.split()[0] for line in report[1:]] == sorted(all_sources())
