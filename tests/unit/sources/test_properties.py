"""Property: corrupt valid rows at random; every corrupted row is quarantined with its reason, every other row arrives."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.sources.test_corpus import feed, run

STATUSES = ["open", "closed", "in_progress"]
HEADER = ["id", "reported_at", "category", "status", "text", "lat", "lon"]


def corrupt(kind: str, row: list[str]) -> list[str]:
    row = list(row)
    if kind == "drop_field":
        return row[:-1]
    if kind == "bad_latitude":
        row[5] = "north"
    elif kind == "swap":
        row[5], row[6] = row[6], row[5]
    elif kind == "null_island":
        row[5], row[6] = "0", "0"
    elif kind == "future":
        row[1] = "2099" + row[1][4:]
    elif kind == "ancient":
        row[1] = "1980" + row[1][4:]
    elif kind == "bad_month":
        row[1] = row[1][:5] + "13" + row[1][7:]
    elif kind == "bad_status":
        row[3] = "lost"
    elif kind == "no_category":
        row[2] = ""
    elif kind == "nul":
        row[4] = row[4] + "\x00"
    elif kind == "no_id":
        row[0] = ""
    return row


REASON = {
    "drop_field": "FIELD_COUNT_MISMATCH",
    "bad_latitude": "TYPE_MISMATCH",
    "swap": "SWAPPED_COORDINATES",
    "null_island": "NULL_ISLAND",
    "future": "FUTURE_TIMESTAMP",
    "ancient": "ANCIENT_TIMESTAMP",
    "bad_month": "INVALID_TIMESTAMP",
    "bad_status": "UNKNOWN_STATUS",
    "no_category": "MISSING_CATEGORY",
    "nul": "NUL_BYTE",
    "no_id": "MISSING_VALUE",
}

valid_row = st.builds(
    lambda day, hour, minute, category, status, text, lat, lon: [
        "",
        f"2024-05-{day:02d} {hour:02d}:{minute:02d}",
        category,
        status,
        text,
        f"{lat:.5f}",
        f"{lon:.5f}",
    ],
    st.integers(1, 28),
    st.integers(0, 23),
    st.integers(0, 59),
    st.sampled_from(["litter", "noise", "road damage", "占道经营"]),
    st.sampled_from(STATUSES),
    st.text(alphabet=st.sampled_from(list("abc xyz,\"'西城区垃圾;|")), max_size=20),
    st.floats(39.86, 39.96),
    st.floats(116.31, 116.44),
)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(valid_row, min_size=1, max_size=25),
    corruptions=st.lists(st.tuples(st.integers(0, 24), st.sampled_from(sorted(REASON))), max_size=10),
    duplicates=st.lists(st.integers(0, 24), max_size=3),
)
def test_random_corruption_keeps_the_invariants(rows, corruptions, duplicates) -> None:
    for index, row in enumerate(rows):
        row[0] = f"R{index}"
    applied = {index % len(rows): kind for index, kind in corruptions}
    final = [corrupt(applied[i], row) if i in applied else row for i, row in enumerate(rows)]
    copies = sorted({d % len(rows) for d in duplicates} - set(applied))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(final + [rows[i] for i in copies])
    result = run(feed("corpus_events"), buffer.getvalue().encode(), "random.csv")

    assert result.rows_in == len(rows) + len(copies)
    assert result.rows_deduplicated == len(copies)
    got = dict(zip(result.rejects["source_line"], result.rejects["reason_code"]))
    assert got == {i + 2: REASON[kind] for i, kind in applied.items()}
    assert sorted(result.clean["source_line"]) == [i + 2 for i in range(len(rows)) if i not in applied]
    assert result.clean["event_id"].is_unique
