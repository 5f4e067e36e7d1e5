"""Tables leaving the lake as CSV for spreadsheets: text that a spreadsheet would run as a formula is defused.

A cell beginning with =, +, -, @, a tab or a carriage return is a formula to Excel, LibreOffice and
Google Sheets (CSV injection, OWASP). Such text cells get a leading apostrophe, which spreadsheets show
as text and do not display; numbers are left alone.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which every text cell that a spreadsheet would evaluate starts with an apostrophe."""
    out = frame.copy()
    for column in out.columns:
        if (
            pd.api.types.is_numeric_dtype(out[column])
            or pd.api.types.is_datetime64_any_dtype(out[column])
            or pd.api.types.is_bool_dtype(out[column])
        ):
            continue
        values = out[column]
        risky = values.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS))
        out[column] = values.where(~risky, "'" + values.astype("string"))
    return out
