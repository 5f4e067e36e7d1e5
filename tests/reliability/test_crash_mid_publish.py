"""Kill the publishing process at random moments of a commit, 20 times: readers see the old or the new
version, never a mix; the next run completes; the orphaned part files are cleaned up."""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
import threading
import time

import pytest
from deltalake import DeltaTable

from pipelines.config import PROJECT_ROOT, load_settings
from pipelines.lake.layout import Zone
from pipelines.lake.maintenance import remove_unreferenced_files
from pipelines.lake.storage import Lake
from tests.reliability.conftest import repetitions
from tests.reliability.publisher import PARTS

pytestmark = pytest.mark.slow
ROWS, KILLS, SEED = 250_000, repetitions(20, 10), 20261124


def publish(lake_uri: str, table_uri: str, generation: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.publisher", lake_uri, table_uri, str(generation), str(ROWS)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-2000:]
    return out


class Reader(threading.Thread):
    """Polls the table as a BI tool would and notes every state it sees."""

    def __init__(self, table_uri: str) -> None:
        super().__init__(daemon=True)
        self.table_uri, self.stop, self.reads, self.seen, self.bad = table_uri, threading.Event(), 0, set(), []

    def run(self) -> None:
        while not self.stop.is_set():
            table = DeltaTable(self.table_uri).to_pyarrow_table(columns=["row_id", "generation"])
            generations = set(table.column("generation").to_pylist())
            self.reads += 1
            self.seen |= generations
            if len(generations) != 1 or table.num_rows != ROWS or len(set(table.column("row_id").to_pylist())) != ROWS:
                self.bad.append((sorted(generations), table.num_rows))


def test_crash_mid_publish(tmp_path, scenario) -> None:
    settings = load_settings(lake_uri=str(tmp_path / "lake"))
    lake = Lake(settings)
    table_uri = lake.layout.table(Zone.CURATED, "crash_test")
    finish(publish(settings.lake_uri, table_uri, 0))

    started = time.monotonic()
    probe = publish(settings.lake_uri, table_uri, 1)  # how long a publish takes, from its first write
    assert probe.stdout.readline().strip() == "publishing"
    writing = time.monotonic()
    finish(probe)
    window = time.monotonic() - writing

    reader = Reader(table_uri)
    reader.start()
    rng = random.Random(SEED)
    killed_before_commit = 0
    for kill in range(KILLS):
        run_started = time.monotonic()
        generation = 2 + kill
        process = publish(settings.lake_uri, table_uri, generation)
        assert process.stdout.readline().strip() == "publishing"
        time.sleep(rng.uniform(0, window))
        process.kill()
        process.wait()
        committed = DeltaTable(table_uri).to_pyarrow_table(columns=["generation"]).column("generation").to_pylist()
        killed_before_commit += set(committed) != {generation}
        finish(publish(settings.lake_uri, table_uri, generation))  # the next run completes...
        after = DeltaTable(table_uri).to_pyarrow_table(columns=["row_id", "generation"])
        rows = after.num_rows
        distinct = len(set(after.column("row_id").to_pylist()))
        ok = set(after.column("generation").to_pylist()) == {generation}  # ...and its data is what is published
        scenario.record(
            ok,
            rows_lost=max(0, ROWS - distinct),
            duplicate_rows=rows - distinct,
            seconds=time.monotonic() - run_started,
            why=f"kill {kill}: generations {set(after.column('generation').to_pylist())}",
        )
    reader.stop.set()
    reader.join()

    # readers only ever saw whole versions
    assert reader.bad == [] and reader.reads > KILLS
    assert 0 < killed_before_commit <= KILLS  # the kills did land before commits (else this tested nothing)
    # the killed runs left part files no version references; housekeeping removes them, and only them
    referenced = {uri.removeprefix(table_uri + "/") for uri in DeltaTable(table_uri).file_uris()}
    removed = remove_unreferenced_files(lake, table_uri, older_than=dt.timedelta(0))
    remaining = {path.split(f"{table_uri}/")[-1] for path in lake.fs.find(table_uri) if "/_delta_log/" not in path}
    assert remaining == referenced and len(referenced) == len(PARTS)
    assert len(removed) > 0
    scenario.assert_all_passed()
    print(
        f"{KILLS} kills, {killed_before_commit} before the commit landed, {reader.reads} reads, "
        f"{len(removed)} orphaned or replaced files removed; publish window {window:.2f} s; {time.monotonic() - started:.0f} s"
    )
