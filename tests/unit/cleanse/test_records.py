"""Delimited text: the fast path (Arrow) and the careful path (line by line) read regular files the same."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.cleanse.records import _regular_file, read_delimited

REGULAR = 'id,when,value,note\n1,2024-01-01 00:05,007,"a, b"\n2,2024-01-01 00:10,3.50,\n3,2024-01-01 00:15,NA,"say ""hi"""\n'


def plain(read) -> pd.DataFrame:
    return read.records.astype(object).reset_index(drop=True)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_fast_and_careful_paths_agree_on_a_regular_file(delimiter: str) -> None:
    text = REGULAR.replace(",", delimiter) if delimiter != "," else REGULAR
    text = text.replace(f'"a{delimiter} b"', '"a, b"') if delimiter != "," else text
    fast = read_delimited(text, ["id", "value"], delimiter=delimiter)
    careful = read_delimited(text, ["id", "value"], delimiter=delimiter, fast_path=False)
    assert _regular_file(text, ["id", "value"], delimiter, '"', True) is not None
    pd.testing.assert_frame_equal(plain(fast), plain(careful))
    assert plain(fast)["value"].tolist() == ["007", "3.50", "NA"]  # delivered text, nothing inferred
    assert plain(fast)["source_line"].tolist() == [2, 3, 4]


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2\n\n3,4\n",  # a blank line shifts line numbers
        "a,b\r\n1,2\r\n\r\n3,4\r\n",  # a blank line in Windows line ends
        "\na,b\n1,2\n",  # a blank first line
        "a,b\n1,2\n\n",  # a blank last line
        "a\n1\n\n3\n",  # a blank line in a file of one column
        "a,b\n1,2\r3,4\n",  # a lone carriage return
        "a,b\n1,\udcff\n",  # undecodable bytes (kept as surrogates)
        "a,b\n1,2,3\n",  # a record with too many fields
        "a,b\n1\n",  # too few
        'a,b\n"multi\nline",2\n',  # a value spanning lines
        "a,b\n1,\x00\n",  # NUL
        "a,a\n1,2\n",  # duplicate header
    ],
)
def test_irregular_files_take_the_careful_path(text: str) -> None:
    assert _regular_file(text, ["a"], ",", '"', True) is None
