"""Quarantine reason codes: stable strings that operators count and BI filters on."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a row was not admitted to the clean zone. Suites add their own codes in expectation meta."""

    HEADER_MISMATCH = "HEADER_MISMATCH"
    FIELD_COUNT_MISMATCH = "FIELD_COUNT_MISMATCH"
    ENCODING_ERROR = "ENCODING_ERROR"
    NUL_BYTE = "NUL_BYTE"
    TYPE_MISMATCH = "TYPE_MISMATCH"
    INVALID_TIMESTAMP = "INVALID_TIMESTAMP"
    DUPLICATE_KEY_CONFLICT = "DUPLICATE_KEY_CONFLICT"
    STATION_MISMATCH = "STATION_MISMATCH"
