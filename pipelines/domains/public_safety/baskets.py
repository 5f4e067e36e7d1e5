"""One basket per case: the case's attributes with those of its offenders, vehicles, hotel stays and flights. Pure.

Items read `attribute=value`. Case facts: case_type, time_of_day (local), day_type, district. Offender
attributes (each offender of the case; a missing attribute gives no item): offender_age (band at the
case's year), offender_sex, offender_occupation, offender_prior, offender_residence (local or
out_of_town). Links: vehicle=yes when a vehicle is recorded; hotel_stay_before=yes when an offender
checked in to a hotel within the window before the case; flight_after=yes when an offender took a
flight within the window after it. Persons are joined by their (pseudonymised) id-card number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.domains.public_safety.itemsets import Baskets

CONSEQUENT_ATTRIBUTES = ("offender_", "case_type=")


@dataclass(frozen=True)
class BasketParams:
    """How a case's basket is assembled."""

    window_hours: int = 72  # hotel stays before / flights after the case that count as linked
    timezone: str = "Asia/Shanghai"


def consequent_allowed(item: str) -> bool:
    """The constraint on rules: the consequent is an offender attribute or a crime type."""
    return item.startswith(CONSEQUENT_ATTRIBUTES)


def _age_band(age: pd.Series) -> pd.Series:
    bands = pd.cut(age, [-1, 17, 24, 34, 44, 59, 200], labels=["under_18", "18-24", "25-34", "35-44", "45-59", "60_plus"])
    return bands.astype(object).where(bands.notna(), None)


def case_items(cases: pd.DataFrame, params: BasketParams) -> pd.DataFrame:
    """(case_id, item) for the case's own attributes."""
    local = cases["reported_at"].dt.tz_convert(params.timezone)
    hour = local.dt.hour
    time_of_day = np.select([(hour >= 22) | (hour < 6), hour < 12, hour < 18], ["night", "morning", "afternoon"], "evening")
    attributes = {
        "case_type": cases["case_type"],
        "time_of_day": pd.Series(time_of_day, index=cases.index),
        "day_type": pd.Series(np.where(local.dt.weekday >= 5, "weekend", "weekday"), index=cases.index),
        "district": cases["district"],
    }
    return _long(cases["case_id"], attributes)


def offender_items(cases: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """(case_id, item) for the attributes of every offender of each case."""
    offenders = persons[persons["role"] == "offender"].merge(cases[["case_id", "reported_at"]], on="case_id")
    age = offenders["reported_at"].dt.year - pd.to_numeric(offenders["birth_year"], errors="coerce")
    residence = offenders["residence"].where(offenders["residence"].isna() | (offenders["residence"] == "out_of_town"), "local")
    attributes = {
        "offender_age": _age_band(age),
        "offender_sex": offenders["sex"],
        "offender_occupation": offenders["occupation"],
        "offender_prior": offenders["prior_record"],
        "offender_residence": residence,
    }
    return _long(offenders["case_id"], attributes)


def link_items(
    cases: pd.DataFrame,
    persons: pd.DataFrame,
    vehicles: pd.DataFrame,
    stays: pd.DataFrame,
    flights: pd.DataFrame,
    params: BasketParams,
) -> pd.DataFrame:
    """(case_id, item) for vehicles, and hotel stays / flights of an offender inside the window."""
    window = pd.Timedelta(hours=params.window_hours)
    offenders = persons.loc[(persons["role"] == "offender") & persons["id_card"].notna(), ["case_id", "id_card"]]
    offenders = offenders.merge(cases[["case_id", "reported_at"]], on="case_id")
    stayed = offenders.merge(stays[["id_card", "check_in"]], on="id_card")
    stayed = stayed[(stayed["check_in"] <= stayed["reported_at"]) & (stayed["check_in"] >= stayed["reported_at"] - window)]
    flew = offenders.merge(flights[["id_card", "departure"]], on="id_card")
    flew = flew[(flew["departure"] >= flew["reported_at"]) & (flew["departure"] <= flew["reported_at"] + window)]
    frames = [
        pd.DataFrame({"case_id": vehicles["case_id"], "item": "vehicle=yes"}),
        pd.DataFrame({"case_id": stayed["case_id"], "item": "hotel_stay_before=yes"}),
        pd.DataFrame({"case_id": flew["case_id"], "item": "flight_after=yes"}),
    ]
    return pd.concat(frames, ignore_index=True)


def _long(case_ids: pd.Series, attributes: dict[str, pd.Series]) -> pd.DataFrame:
    frames = []
    for name, values in attributes.items():
        present = values.notna()
        frames.append(
            pd.DataFrame({"case_id": case_ids[present].to_numpy(), "item": name + "=" + values[present].astype(str).to_numpy()})
        )
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class CaseBaskets:
    """Baskets in case order, the item labels their ids point to, and the case of each basket."""

    baskets: Baskets
    labels: tuple[str, ...]
    case_ids: tuple[str, ...]


def case_pairs(
    cases: pd.DataFrame,
    persons: pd.DataFrame,
    vehicles: pd.DataFrame,
    stays: pd.DataFrame,
    flights: pd.DataFrame,
    params: BasketParams,
) -> pd.DataFrame:
    """Every (case_id, item) of the cases, distinct."""
    return pd.concat(
        [case_items(cases, params), offender_items(cases, persons), link_items(cases, persons, vehicles, stays, flights, params)],
        ignore_index=True,
    ).drop_duplicates()


def pairs_to_baskets(pairs: pd.DataFrame, case_ids: Sequence[str], vocabulary: Sequence[str]) -> Baskets:
    """Compressed baskets in `case_ids` order (a case without pairs gets an empty basket), items as vocabulary ids."""
    item_id = {label: i for i, label in enumerate(vocabulary)}
    unknown = sorted(set(pairs["item"]) - set(item_id))
    if unknown:
        raise ValueError(f"items outside the vocabulary: {unknown[:5]}")
    rows = pd.Index(case_ids).get_indexer(pairs["case_id"])
    if (rows < 0).any():
        raise ValueError(f"pairs of cases not listed, e.g. {pairs['case_id'][rows < 0].iloc[0]}")
    ids = pairs["item"].map(item_id).to_numpy(dtype=np.int32)
    order = np.lexsort((ids, rows))
    offsets = np.zeros(len(case_ids) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.bincount(rows, minlength=len(case_ids)))
    return Baskets(offsets, ids[order])


def build_baskets(
    cases: pd.DataFrame,
    persons: pd.DataFrame,
    vehicles: pd.DataFrame,
    stays: pd.DataFrame,
    flights: pd.DataFrame,
    params: BasketParams,
    labels: tuple[str, ...] | None = None,
) -> CaseBaskets:
    """One basket per case (an empty basket when nothing is known). `labels` fixes the vocabulary across chunks."""
    pairs = case_pairs(cases, persons, vehicles, stays, flights, params)
    vocabulary = labels or tuple(sorted(pairs["item"].unique()))
    case_ids = tuple(cases["case_id"])
    return CaseBaskets(pairs_to_baskets(pairs, case_ids, vocabulary), vocabulary, case_ids)
