"""Which clean datasets hold metered energy loads, declared in YAML: `loads/<name>.yaml` (or CITYLAKE_LOADS_DIR).

A department's meters go into the load profiles and the day-ahead load forecasts by configuration alone: a feed
(YAML) brings the file into a clean dataset (declared in code or in `datasets/`), and a load declaration says which
of its columns is the meter, which columns are which utility's load::

    dataset: electricity_demand        # a clean dataset
    meter: {column: region}            # or {constant: grid-east} for a dataset of one meter
    utilities:
      electricity: {column: demand_mw} # the unit is the catalog's (MW here): any power unit, read as kW
    temperature: temperature_c         # optional: the outdoor temperature beside the load (forecast input)

A utility metered as a volume flow (gas in m³/h) is energy once its calorific value is given (`kwh_per_m3`).
Checks a file at load time (dataset, columns and units against the catalog) and says what is wrong in one line each.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipelines.config import PROJECT_ROOT, config_problems, yaml_mapping

if TYPE_CHECKING:  # the DAG files read `datasets()` at parse time: nothing heavy is imported at the top
    import numpy as np
    import pandas as pd

LOADS_DIR = PROJECT_ROOT / "loads"
NAME = r"^[a-z][a-z0-9_]*$"


class LoadConfigError(ValueError):
    """A load declaration that cannot be used: the message names the file and what to change."""


def loads_dir() -> Path:
    """Where the load YAML files are: CITYLAKE_LOADS_DIR, else the project's `loads/`."""
    return Path(os.environ.get("CITYLAKE_LOADS_DIR") or LOADS_DIR)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MeterDeclaration(_Strict):
    """Which meter a row is: a column of the dataset, or one constant id for a dataset of one meter."""

    column: str | None = None
    constant: Annotated[str, Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _one(self) -> MeterDeclaration:
        if (self.column is None) == (self.constant is None):
            raise ValueError("give exactly one of 'column' or 'constant'")
        return self


class UtilityDeclaration(_Strict):
    """One utility's load: its column, and for a volume flow the energy a cubic metre holds."""

    column: str
    kwh_per_m3: Annotated[float, Field(gt=0)] | None = None


class LoadDeclaration(_Strict):
    dataset: str
    meter: MeterDeclaration
    utilities: Annotated[dict[Annotated[str, Field(pattern=NAME)], UtilityDeclaration], Field(min_length=1)]
    temperature: str | None = None
    copy_measures: list[str] = []  # columns that must all repeat the day before for a meter copy (default: the loads)


@dataclass(frozen=True)
class Utility:
    name: str
    column: str
    unit: str
    kwh_per_m3: float | None = None

    def as_kw(self, values: np.ndarray) -> np.ndarray:
        """The column's values as power in kW."""
        from pipelines.cleanse import units

        if self.kwh_per_m3 is not None:
            return units.convert(values, self.unit, "m3/h") * self.kwh_per_m3
        return units.convert(values, self.unit, "kW")


@dataclass(frozen=True)
class Load:
    """A clean dataset's metered loads, checked against the catalog."""

    dataset: str
    meter_column: str | None
    meter_constant: str | None
    utilities: tuple[Utility, ...]
    temperature: str | None
    copy_measures: tuple[str, ...]
    file: str

    @property
    def columns(self) -> list[str]:
        """The dataset's columns a job reads."""
        wanted = [self.meter_column, "ts_utc", *(u.column for u in self.utilities), self.temperature, *self.copy_measures]
        return list(dict.fromkeys(c for c in wanted if c))

    def long(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Dataset rows as one row per meter, utility and reading: meter_id, utility, ts_utc, power_kw, the copy
        measures (`measure_<i>`) and the temperature (NaN when none is declared)."""
        import numpy as np
        import pandas as pd

        meter = rows[self.meter_column].astype(str) if self.meter_column else pd.Series(self.meter_constant, index=rows.index)
        temperature = rows[self.temperature].astype("float64") if self.temperature else np.nan
        frames = []
        for utility in self.utilities:
            measures = self.copy_measures or (utility.column,)
            frame = pd.DataFrame(
                {
                    "meter_id": meter.to_numpy(),
                    "utility": utility.name,
                    "ts_utc": rows["ts_utc"].to_numpy(),
                    "power_kw": utility.as_kw(rows[utility.column].to_numpy("float64", na_value=np.nan)),
                    "temperature_c": temperature,
                },
                index=rows.index,
            )
            for i, measure in enumerate(measures):
                frame[f"measure_{i}"] = rows[measure].to_numpy("float64", na_value=np.nan)
            frames.append(frame)
        out = pd.concat(frames, ignore_index=True)
        out["ts_utc"] = pd.to_datetime(out["ts_utc"], utc=True)
        return out


def _checked(declaration: LoadDeclaration, file: str) -> Load:
    from pipelines.cleanse import units
    from pipelines.lake.catalog import clean_dataset

    try:
        table = clean_dataset(declaration.dataset)
    except (KeyError, ValueError) as exc:
        raise LoadConfigError(f"{file}: dataset: {exc}") from None
    columns = {c.name: c for c in table.columns}
    problems = []
    named = [declaration.meter.column, declaration.temperature, *declaration.copy_measures]
    named += [u.column for u in declaration.utilities.values()]
    problems += [f"{file}: {declaration.dataset} has no column {c!r}" for c in named if c and c not in columns]
    found = []
    for name, utility in declaration.utilities.items():
        unit = columns[utility.column].unit if utility.column in columns else None
        if utility.column in columns and not unit:
            problems.append(f"{file}: utilities.{name}: {utility.column} has no unit in the catalog")
        elif unit:
            target = "m3/h" if utility.kwh_per_m3 is not None else "kW"
            if not units.can_convert(unit, target):
                hint = "" if utility.kwh_per_m3 else " (a volume flow: give kwh_per_m3, the calorific value)"
                problems.append(f"{file}: utilities.{name}: {utility.column} is in {unit}, not a {target} unit{hint}")
        found.append(Utility(name, utility.column, unit or "", utility.kwh_per_m3))
    if problems:
        raise LoadConfigError("\n".join(problems))
    return Load(
        declaration.dataset,
        declaration.meter.column,
        declaration.meter.constant,
        tuple(found),
        declaration.temperature,
        tuple(declaration.copy_measures),
        file,
    )


def parse(path: Path) -> Load:
    """One load file, checked; LoadConfigError with every problem."""
    document = yaml_mapping(path, LoadConfigError)
    try:
        declaration = LoadDeclaration.model_validate(document)
    except ValidationError as exc:
        raise LoadConfigError(config_problems(str(path), exc)) from None
    return _checked(declaration, str(path))


@lru_cache(maxsize=8)
def _declared(directory: str, signature: tuple[tuple[str, int], ...]) -> tuple[Load, ...]:
    found = [parse(Path(directory) / name) for name, _ in signature]
    seen: dict[str, str] = {}
    for load in found:
        if load.dataset in seen:
            raise LoadConfigError(f"{load.file}: {load.dataset} is already declared in {seen[load.dataset]}")
        seen[load.dataset] = load.file
    return tuple(found)


def declared(directory: Path | None = None) -> tuple[Load, ...]:
    """Every load declaration in the folder (sorted by file name); LoadConfigError on the first bad file."""
    folder = directory or loads_dir()
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    return _declared(str(folder), tuple((f.name, f.stat().st_mtime_ns) for f in files))


def datasets(directory: Path | None = None) -> tuple[str, ...]:
    """The clean datasets the load files name (what the load DAGs run on), read without checking them: a DAG file
    calls this at parse time; the jobs check the files and say what is wrong."""
    folder = directory or loads_dir()
    names = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(document, dict) and isinstance(document.get("dataset"), str):
            names.append(document["dataset"])
    return tuple(dict.fromkeys(names))
