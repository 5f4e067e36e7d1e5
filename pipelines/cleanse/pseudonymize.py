"""Keyed pseudonyms for personal identifiers (HMAC-SHA256): stable under one key, unlinkable without it. Pure.

Values are normalized first so that formatting variants of one identifier get one pseudonym (an id-card
number in lower case, a phone number with spaces or +86, a plate with a separator dot). The key comes
from the environment or an Airflow connection, never from code; rotating it changes every pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable

import pandas as pd

PREFIX_BYTES = 16  # 128 bits of the HMAC: collisions are not a practical concern at city scale


def _id_card(value: str) -> str:
    return re.sub(r"\s", "", value).upper()


def _phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def _plate(value: str) -> str:
    return re.sub(r"[\s·.\-]", "", unicodedata.normalize("NFKC", value)).upper()


def _name(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def _record(value: str) -> str:
    """A record number (a patient's, a subject's): spaces dropped, and a float's `.0` from a spreadsheet export."""
    text = re.sub(r"\s", "", value)
    return text[:-2] if re.fullmatch(r"\d+\.0", text) else text


NORMALIZERS: dict[str, Callable[[str], str]] = {
    "id_card": _id_card,
    "phone": _phone,
    "plate": _plate,
    "name": _name,
    "record": _record,
}


def pseudonym(value: str, key: bytes, kind: str) -> str:
    """The pseudonym of one identifier of a kind (id_card, phone, plate, name, record)."""
    if not key:
        raise ValueError("no pseudonymisation key: set CITYLAKE_PSEUDONYM_KEY or the Airflow connection citylake_pseudonym")
    normalized = NORMALIZERS[kind](value)
    digest = hmac.new(key, f"{kind}:{normalized}".encode(), hashlib.sha256).digest()
    return digest[:PREFIX_BYTES].hex()


def pseudonymize(values: pd.Series, key: bytes, kind: str) -> pd.Series:
    """Pseudonyms of a column; nulls and empty values stay null."""
    text = values.astype(object)
    present = text.notna() & (text.astype(str).str.strip() != "")
    out = pd.Series(None, index=values.index, dtype=object)
    out[present] = [pseudonym(str(v), key, kind) for v in text[present]]
    return out
