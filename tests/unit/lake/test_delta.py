"""Delta publishing: part files, one commit replacing only the covered partitions, idempotency, no orphans."""

from __future__ import annotations

import pyarrow as pa
import pytest

from pipelines.lake import delta
from pipelines.lake.catalog.model import to_arrow
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake

SCHEMA = pa.schema([pa.field("station", pa.string()), pa.field("v", pa.int64())])


def frame(rows: list[tuple[str, int]]) -> pa.Table:
    return pa.Table.from_pylist([{"station": s, "v": v} for s, v in rows], schema=SCHEMA)


def contents(lake: Lake, uri: str) -> list[tuple[str, int]]:
    table = delta.read_table(lake, uri)
    return sorted(zip(table["station"], table["v"]))


def test_commit_replaces_only_the_partitions_covered(settings) -> None:
    lake = Lake(settings)
    uri = lake.layout.table(Zone.CLEAN, "t")
    first = delta.write_parts(lake, uri, frame([("A", 1), ("A", 2), ("B", 3)]), ("station",), "r1")
    assert sorted((p.partition_values["station"], p.num_records) for p in first) == [("A", 2), ("B", 1)]
    result = delta.commit_parts(lake, uri, SCHEMA, ("station",), first, {"station": ["A", "B"]}, "r1", "key1")
    assert (result.version, result.rows_added) == (0, 3)

    second = delta.write_parts(lake, uri, frame([("A", 7)]), ("station",), "r2")
    delta.commit_parts(lake, uri, SCHEMA, ("station",), second, {"station": ["A"]}, "r2", "key2")
    assert contents(lake, uri) == [("A", 7), ("B", 3)]
    assert delta.last_idempotency_key(lake, uri) == "key2"

    again = delta.write_parts(lake, uri, frame([("A", 7)]), ("station",), "r3")
    skipped = delta.commit_parts(lake, uri, SCHEMA, ("station",), again, {"station": ["A"]}, "r3", "key2")
    assert skipped.skipped_as_duplicate and skipped.version == 1
    assert not any(lake.fs.exists(f"{uri}/{p.relative_path}") for p in again)  # the duplicate's files are gone
    assert contents(lake, uri) == [("A", 7), ("B", 3)]


def test_overwrite_without_partitions_is_refused(settings) -> None:
    lake = Lake(settings)
    uri = lake.layout.table(Zone.CLEAN, "t")
    delta.commit_parts(
        lake,
        uri,
        SCHEMA,
        ("station",),
        delta.write_parts(lake, uri, frame([("A", 1)]), ("station",), "r"),
        {"station": ["A"]},
        "r",
        "k1",
    )
    with pytest.raises(ValueError, match="refusing to overwrite all of"):
        delta.commit_parts(lake, uri, SCHEMA, ("station",), [], {}, "r", "k2")


def test_file_statistics_are_what_delta_expects() -> None:
    stats = delta.file_stats(frame([("A", 5), ("A", 2), ("B", None)]))
    assert stats == (
        '{"numRecords": 3, "minValues": {"station": "A", "v": 2}, "maxValues": {"station": "B", "v": 5},'
        ' "nullCount": {"station": 0, "v": 1}}'
    )


def test_losing_a_race_to_a_run_that_published_the_same_work_is_a_clean_skip(tmp_path, monkeypatch) -> None:
    """Both runs saw no key before either committed; the second's commit fails, and it recognises the winner's."""
    import pandas as pd
    import pyarrow as pa

    from pipelines.config import load_settings
    from pipelines.lake import delta
    from pipelines.lake.storage import Lake

    lake = Lake(load_settings(lake_uri=str(tmp_path / "lake")))
    uri = f"{lake.layout.root}/curated/race"
    schema = pa.schema([pa.field("k", pa.string()), pa.field("v", pa.int64())])
    frame = pd.DataFrame({"k": ["a", "b"], "v": [1, 2]})
    loser_parts = delta.write_parts(lake, uri, to_arrow(frame, schema), ("k",), "loser")
    delta.publish_frame(lake, uri, frame, schema, ("k",), None, "winner", "same-work")

    def racing() -> None:
        """The loser looked before the winner created the table: no key, no table."""
        looks = {"key": 0, "table": 0}
        real_key, real_exists = delta.last_idempotency_key, delta.table_exists

        def key(lake_, uri_):
            looks["key"] += 1
            return None if looks["key"] == 1 else real_key(lake_, uri_)

        def exists(lake_, uri_):
            looks["table"] += 1
            return False if looks["table"] == 1 else real_exists(lake_, uri_)

        monkeypatch.setattr(delta, "last_idempotency_key", key)
        monkeypatch.setattr(delta, "table_exists", exists)

    racing()
    result = delta.commit_parts(lake, uri, schema, ("k",), loser_parts, None, "loser", "same-work")
    assert (result.skipped_as_duplicate, result.version, result.rows_added) == (True, 0, 0)
    assert not any(lake.exists(f"{uri}/{p.relative_path}") for p in loser_parts)  # its parts are gone
    monkeypatch.undo()
    assert delta.read_table(lake, uri).sort_values("k").values.tolist() == [["a", 1], ["b", 2]]

    other_parts = delta.write_parts(lake, uri, to_arrow(frame, schema), ("k",), "other")
    racing()
    from deltalake.exceptions import DeltaError

    with pytest.raises(DeltaError, match="already exists"):  # other work that loses the race fails loudly
        delta.commit_parts(lake, uri, schema, ("k",), other_parts, None, "other", "different-work")
