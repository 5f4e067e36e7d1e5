"""Delta publishing: part files, one commit replacing only the covered partitions, idempotency, no orphans."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.lake import delta
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
    assert (result.version, result.rows_added) == (1, 3)  # version 0 is the empty table

    second = delta.write_parts(lake, uri, frame([("A", 7)]), ("station",), "r2")
    delta.commit_parts(lake, uri, SCHEMA, ("station",), second, {"station": ["A"]}, "r2", "key2")
    assert contents(lake, uri) == [("A", 7), ("B", 3)]
    assert delta.last_idempotency_key(lake, uri) == "key2"

    again = delta.write_parts(lake, uri, frame([("A", 7)]), ("station",), "r3")
    skipped = delta.commit_parts(lake, uri, SCHEMA, ("station",), again, {"station": ["A"]}, "r3", "key2")
    assert skipped.skipped_as_duplicate and skipped.version == 2
    assert not any(lake.fs.exists(f"{uri}/{p.relative_path}") for p in again)  # the duplicate's files are gone
    assert contents(lake, uri) == [("A", 7), ("B", 3)]


def test_parts_of_several_partition_columns_keep_their_rows_in_order_and_nulls_as_the_default_partition(settings) -> None:
    lake = Lake(settings)
    uri = lake.layout.table(Zone.CLEAN, "t")
    schema = pa.schema([pa.field("station", pa.string()), pa.field("day", pa.string()), pa.field("v", pa.int64())])
    rows = [("B", "d1", 1), ("A", None, 2), ("B", "d1", 3), ("A", "d2", 4), ("A", None, 5), ("B", "d2", 6)]
    table = pa.Table.from_pylist([{"station": s, "day": d, "v": v} for s, d, v in rows], schema=schema)
    parts = delta.write_parts(lake, uri, table, ("station", "day"), "r1")
    assert [(p.partition_values["station"], p.partition_values["day"], p.num_records) for p in parts] == [
        ("B", "d1", 2),
        ("A", None, 2),
        ("A", "d2", 1),
        ("B", "d2", 1),
    ]
    assert parts[1].relative_path.startswith("station=A/day=__HIVE_DEFAULT_PARTITION__/part-r1-")
    assert [pq.read_table(f"{uri}/{p.relative_path}")["v"].to_pylist() for p in parts] == [[1, 3], [2, 5], [4], [6]]


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


def race(*jobs):
    """Run the jobs in threads released at the same instant; their results (or exceptions) in order."""
    import threading

    start, results = threading.Barrier(len(jobs)), [None] * len(jobs)

    def run(index, job):
        start.wait()
        try:
            results[index] = job()
        except Exception as exc:  # the outcome under test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


RACES = 8


def test_two_runs_creating_a_table_at_once_with_the_same_work_publish_it_once(settings) -> None:
    """delta-rs commits both of two racing CREATEs; a create that carried rows would double them."""
    lake = Lake(settings)
    for attempt in range(RACES):
        uri = lake.layout.table(Zone.CURATED, f"race_{attempt}")

        def publish(run_id: str, uri: str = uri) -> delta.PublishResult:
            parts = delta.write_parts(lake, uri, frame([("A", 1), ("B", 2)]), ("station",), run_id)
            return delta.commit_parts(lake, uri, SCHEMA, ("station",), parts, None, run_id, "same-work")

        results = race(lambda: publish("one"), lambda: publish("two"))
        assert [type(r).__name__ for r in results] == ["PublishResult", "PublishResult"], results
        assert contents(lake, uri) == [("A", 1), ("B", 2)], f"race {attempt}: {results}"
        assert delta.last_idempotency_key(lake, uri) == "same-work"
        for result in results:  # a run that found the work done left no part file behind
            if result.skipped_as_duplicate:
                assert result.rows_added == 0


def test_two_runs_creating_a_table_at_once_with_different_work_leave_one_whole(settings) -> None:
    """Different work that races: the table holds one run's rows (never both); the loser fails loudly or replaces."""
    from deltalake.exceptions import CommitFailedError

    lake = Lake(settings)
    one, two = [("A", 1), ("B", 2)], [("A", 10), ("C", 30)]
    for attempt in range(RACES):
        uri = lake.layout.table(Zone.CURATED, f"race_{attempt}")

        def publish(rows, run_id: str, uri: str = uri):
            parts = delta.write_parts(lake, uri, frame(rows), ("station",), run_id)
            return delta.commit_parts(lake, uri, SCHEMA, ("station",), parts, None, run_id, run_id)

        results = race(lambda: publish(one, "one"), lambda: publish(two, "two"))
        failed = [r for r in results if isinstance(r, Exception)]
        assert all(isinstance(r, CommitFailedError) for r in failed), results
        assert len(failed) <= 1
        assert contents(lake, uri) in (sorted(one), sorted(two)), f"race {attempt}: {results}"


def test_a_new_declared_column_joins_an_existing_table_null_in_older_files(settings) -> None:
    lake = Lake(settings)
    uri = lake.layout.table(Zone.CLEAN, "t")
    delta.commit_parts(
        lake, uri, SCHEMA, ("station",), delta.write_parts(lake, uri, frame([("A", 1)]), ("station",), "r1"), None, "r1", "k1"
    )
    wider = SCHEMA.append(pa.field("w", pa.float64()))
    parts = delta.write_parts(
        lake, uri, pa.Table.from_pylist([{"station": "B", "v": 2, "w": 0.5}], schema=wider), ("station",), "r2"
    )
    delta.commit_parts(lake, uri, wider, ("station",), parts, {"station": ["B"]}, "r2", "k2")
    table = delta.read_table(lake, uri).sort_values("station")
    assert table[["station", "v"]].values.tolist() == [["A", 1], ["B", 2]]
    assert table["w"].isna().tolist() == [True, False] and table["w"].iloc[1] == 0.5

    retyped = pa.schema([pa.field("station", pa.string()), pa.field("v", pa.string())])
    from pipelines.lake.catalog.model import SchemaMismatch

    with pytest.raises(SchemaMismatch, match=r"changed types: v \(int64 stored, string declared\)"):
        delta.ensure_table(lake, uri, retyped, ("station",))
    with pytest.raises(SchemaMismatch, match=r"partitioned by \['station'\], declared \[\]"):
        delta.ensure_table(lake, uri, wider, ())


def test_racing_replacements_of_the_same_rows_both_succeed_and_leave_them_once(settings) -> None:
    """The ledger: two runs record the same dataset at once; the loser redoes its replacement on the winner's table."""
    lake = Lake(settings)
    for attempt in range(RACES):
        uri = lake.layout.table(Zone.META, f"ledger_{attempt}")

        def record(run_id: str, uri: str = uri) -> None:
            rows = pa.Table.from_pylist([{"station": s, "v": v} for s, v in (("A", 1), ("B", 2))], schema=SCHEMA)
            delta.replace_rows(lake, uri, rows, "station IN ('A', 'B')", (), run_id)

        assert race(lambda: record("one"), lambda: record("two")) == [None, None]
        assert contents(lake, uri) == [("A", 1), ("B", 2)], f"race {attempt}"


def test_a_checkpoint_every_ten_commits_and_time_travel_still_reads_any_version(settings) -> None:
    lake = Lake(settings)
    uri = lake.layout.table(Zone.CLEAN, "t")
    for i in range(12):  # version 0 creates the table; versions 1-12 each replace station A
        parts = delta.write_parts(lake, uri, frame([("A", i)]), ("station",), f"r{i}")
        delta.commit_parts(lake, uri, SCHEMA, ("station",), parts, {"station": ["A"]}, f"r{i}", f"key{i}")
    names = [p.rsplit("/", 1)[-1] for p in lake.fs.ls(f"{uri}/_delta_log")]
    log = sorted(n for n in names if "checkpoint" in n)
    assert log == ["00000000000000000009.checkpoint.parquet", "_last_checkpoint"]
    assert contents(lake, uri) == [("A", 11)]
    from deltalake import DeltaTable

    at_three = DeltaTable(uri, version=3, storage_options=lake.storage_options()).to_pyarrow_table()
    assert at_three.to_pylist() == [{"station": "A", "v": 2}]


def test_a_table_made_without_the_checkpoint_interval_takes_it_on_its_next_publish(settings) -> None:
    from deltalake import DeltaTable, Schema

    lake = Lake(settings)
    uri = lake.layout.table(Zone.CLEAN, "older")
    DeltaTable.create(uri, Schema.from_arrow(SCHEMA), partition_by=["station"])  # as an older CityLake made it
    assert "delta.checkpointInterval" not in DeltaTable(uri).metadata().configuration
    parts = delta.write_parts(lake, uri, frame([("A", 1)]), ("station",), "r1")
    delta.commit_parts(lake, uri, SCHEMA, ("station",), parts, None, "r1", "k1")
    assert DeltaTable(uri).metadata().configuration["delta.checkpointInterval"] == "10"
    assert contents(lake, uri) == [("A", 1)]
    version = delta.table_version(lake, uri)
    delta.ensure_table(lake, uri, SCHEMA, ("station",))  # set once: nothing more to commit
    assert delta.table_version(lake, uri) == version
