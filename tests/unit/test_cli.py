"""`citylake` behaves: a read-only query, one-line errors with the nearest name, empty and cut results said,
a closed pipe is no error, every option explained, exit codes 0 / 1 / 2."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pyarrow as pa
import pytest

from pipelines.cli import build_parser, main
from pipelines.config import PROJECT_ROOT


@pytest.fixture
def lake(tmp_path, monkeypatch):
    from deltalake import write_deltalake

    root = tmp_path / "lake"
    write_deltalake(str(root / "curated" / "counts"), pa.table({"n": list(range(120))}))
    monkeypatch.setenv("CITYLAKE_LAKE_URI", str(root))
    return root


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "SELECT * FROM read_text('/etc/passwd')",
            'citylake query: Permission Error: Cannot access file "/etc/passwd" - file system operations are disabled by configuration',
        ),
        (
            "COPY (SELECT * FROM counts) TO '/tmp/out.csv'",
            "citylake query: the lake is read-only here: only queries (SELECT ...) run, not a COPY statement",
        ),
        (
            "CREATE TABLE t AS SELECT 1",
            "citylake query: the lake is read-only here: only queries (SELECT ...) run, not a CREATE statement",
        ),
        ("SELECT 1; SELECT 2", "citylake query: one statement at a time, not 2"),
        (
            "SELECT * FROM countz",
            'citylake query: Catalog Error: Table with name countz does not exist! Did you mean "counts"?',
        ),
    ],
)
def test_query_is_read_only_and_errors_are_one_line(lake, capsys, sql: str, message: str) -> None:
    assert main(["query", sql]) == 1
    assert capsys.readouterr().err.strip() == message


def test_empty_and_cut_results_say_so(lake, capsys) -> None:
    assert main(["query", "SELECT * FROM counts WHERE n < 0"]) == 0
    assert capsys.readouterr().out == "no rows (columns: n)\n"
    assert main(["query", "SELECT n FROM counts ORDER BY n", "--max-rows", "3"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        " n",
        " 0",
        " 1",
        " 2",
        "... 117 more row(s) not shown (of 120; --max-rows 3)",
    ]


def test_a_closed_pipe_is_not_an_error(lake) -> None:
    shell = f"{sys.executable} -m pipelines.cli query 'SELECT n FROM counts' --format csv | head -1"
    run = subprocess.run(["bash", "-o", "pipefail", "-c", shell], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert (run.returncode, run.stdout, run.stderr) == (0, "n\n", "")


def test_unknown_names_suggest_the_nearest(capsys) -> None:
    assert main(["sources", "check", "air_beijng", "sample.csv"]) == 1
    assert capsys.readouterr().err.startswith(
        "citylake sources: unknown source 'air_beijng'; did you mean 'air_beijing'? registered:"
    )
    assert main(["sources", "draft", "x.csv", "--dataset", "air_quality"]) == 1
    assert capsys.readouterr().err.startswith(
        "citylake sources: unknown canonical dataset 'air_quality'; did you mean 'air_quality_hourly'? known:"
    )


def test_usage_errors_exit_2_and_every_option_is_explained() -> None:
    with pytest.raises(SystemExit) as usage:
        main(["query"])
    assert usage.value.code == 2
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    unexplained = [
        f"{name} {action.dest}"
        for name, sub in commands.choices.items()
        for action in sub._actions
        if not isinstance(action, argparse._HelpAction) and not action.help
    ]
    assert unexplained == []
