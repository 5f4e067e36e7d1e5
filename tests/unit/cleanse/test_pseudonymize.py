"""Pseudonyms: stable under one key, the same for formatting variants, all different after the key rotates."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.cleanse.pseudonymize import pseudonym, pseudonymize

KEY, ROTATED = b"test-key-not-a-secret", b"test-key-rotated"


def test_formatting_variants_share_one_pseudonym() -> None:
    assert pseudonym("11010519491231002x", KEY, "id_card") == pseudonym(" 11010519491231002X ", KEY, "id_card")
    assert pseudonym("+86 138 0013 8000", KEY, "phone") == pseudonym("13800138000", KEY, "phone")
    assert pseudonym("京A·12345", KEY, "plate") == pseudonym("京a 12345", KEY, "plate")
    assert pseudonym("Zhang  WEI", KEY, "name") == pseudonym("zhang wei", KEY, "name")
    assert pseudonym("13800138000", KEY, "phone") != pseudonym("13800138000", KEY, "id_card")  # kinds never collide


def test_stable_under_a_key_and_all_different_after_rotation() -> None:
    values = pd.Series([f"1101051949123100{i:02d}" for i in range(50)] + [None, ""])
    first, again, rotated = (pseudonymize(values, k, "id_card") for k in (KEY, KEY, ROTATED))
    assert first.tolist() == again.tolist()
    assert first[:50].is_unique and len(first[0]) == 32
    assert not set(first[:50]) & set(rotated[:50])
    assert first[50:].isna().all() and rotated[50:].isna().all()
    assert not any(v in p for v, p in zip(values[:50], first[:50]))


def test_no_key_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no pseudonymisation key: set CITYLAKE_PSEUDONYM_KEY"):
        pseudonym("x", b"", "name")
