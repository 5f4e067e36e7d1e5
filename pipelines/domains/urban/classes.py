"""The classes of city-management cases (GB/T 30428.2, as data) and a city's service levels per class: which
department disposes of a case and by when. Pure, but for reading the two CSV files.

`classification/gbt30428_2_classes.csv` holds the standard's large and small classes; `service_levels.csv` (or the
file CITYLAKE_URBAN_SERVICE_LEVELS names) holds the city's department and deadline per small class, where a code
ending in `*` covers the large class's small classes without a row of their own.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

CLASSES_FILE = "classification/gbt30428_2_classes.csv"
SERVICE_LEVELS_FILE = "service_levels.csv"


def _read(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), comment="#", dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def classes() -> pd.DataFrame:
    """Every class: kind, large_code, large_name, large_name_zh, small_code, small_name, small_name_zh."""
    return _read(resources.files("pipelines.domains.urban").joinpath(CLASSES_FILE).read_text(encoding="utf-8"))


def service_levels_text() -> str:
    """The service-level table's text: CITYLAKE_URBAN_SERVICE_LEVELS, else the project's."""
    override = os.environ.get("CITYLAKE_URBAN_SERVICE_LEVELS")
    if override:
        return Path(override).read_text(encoding="utf-8")
    return resources.files("pipelines.domains.urban").joinpath(SERVICE_LEVELS_FILE).read_text(encoding="utf-8")


@dataclass(frozen=True)
class ServiceLevel:
    department: str
    deadline_hours: float


class UnknownClass(ValueError):
    """A class code that neither the classification nor the service levels know."""


def service_levels(text: str | None = None) -> dict[tuple[str, str], ServiceLevel]:
    """(kind, code or `<large>*`) -> the department and deadline."""
    table = _read(text if text is not None else service_levels_text())
    return {(r.kind, r.small_code): ServiceLevel(r.department, float(r.deadline_hours)) for r in table.itertuples(index=False)}


def level_of(kind: str, class_code: str, levels: dict[tuple[str, str], ServiceLevel]) -> ServiceLevel:
    """A small class's service level: its own row, else its large class's `*` row."""
    found = levels.get((kind, class_code)) or levels.get((kind, f"{class_code[:2]}*"))
    if found is None:
        raise UnknownClass(f"no service level for {kind} class {class_code}: add a row to the service-level table")
    return found


def with_levels(cases: pd.DataFrame, levels: dict[tuple[str, str], ServiceLevel]) -> pd.DataFrame:
    """Cases (kind, class_code, department) with `deadline_hours`, the department filled from the service level where
    the case has none, and the large class's code and both names (unknown codes: null names, kept)."""
    pairs = cases[["kind", "class_code"]].drop_duplicates()
    found = {
        (k, c): level
        for k, c in pairs.itertuples(index=False)
        if (level := levels.get((k, c)) or levels.get((k, f"{str(c)[:2]}*"))) is not None
    }
    keys = list(zip(cases["kind"], cases["class_code"]))
    named = classes().set_index(["kind", "small_code"])
    out = cases.assign(
        deadline_hours=[found[k].deadline_hours if k in found else float("nan") for k in keys],
        department=cases["department"].where(
            cases["department"].notna(), pd.Series([found[k].department if k in found else None for k in keys], index=cases.index)
        ),
        large_code=cases["class_code"].str[:2],
        class_name=[named["small_name"].get(k) for k in keys],
        large_name=[named["large_name"].get(k) for k in keys],
    )
    return out
