"""Seeded SYNTHETIC multi-source case data with planted rules, for tests and benchmarks.

No public copy of case records with persons, vehicles, hotel stays and flights exists, so this makes
one: cases (type, time, place, district), the persons involved (offenders and victims, with name,
id-card number, phone, sex, birth year, occupation, prior record, residence), vehicles with plates,
hotel stays and flights linked to persons by id-card number. Realistic incompleteness: each offender
attribute is missing with `missing_rate`; repeat offenders reappear under spelling variants of their
name. Every identifier is fake (id-card numbers carry a valid GB 11643 check digit but random digits).

The planted rules are in PLANTED with their confidence by construction; `expected_confidence` gives
what mining should observe once missing attributes are accounted for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

CASE_TYPES = ("theft", "burglary", "fraud", "robbery", "assault", "drugs")
CASE_TYPE_SHARE = (0.30, 0.18, 0.17, 0.10, 0.15, 0.10)
DISTRICTS = tuple(f"D{i:02d}" for i in range(1, 13))
OCCUPATIONS = ("unemployed", "worker", "service", "student", "driver", "office", "self_employed")
AGE_BANDS = ("under_18", "18-24", "25-34", "35-44", "45-59", "60_plus")
AGE_BAND_SHARE = (0.06, 0.26, 0.30, 0.20, 0.14, 0.04)
SURNAMES = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu")
GIVEN = ("Wei", "Fang", "Na", "Min", "Jing", "Lei", "Qiang", "Yan", "Jun", "Yong", "Jie", "Tao", "Ming", "Chao", "Xia", "Hui")
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁苏浙赣鄂桂甘晋蒙陕吉闽贵粤川"


@dataclass(frozen=True)
class PlantedRule:
    """antecedent -> consequent holds with `confidence` by construction."""

    antecedent: tuple[str, ...]
    consequent: str
    confidence: float


PLANTED = (
    PlantedRule(("case_type=burglary", "time_of_day=night"), "offender_prior=yes", 0.85),
    PlantedRule(("case_type=fraud",), "offender_age=25-34", 0.70),
    PlantedRule(("case_type=robbery", "vehicle=yes"), "offender_occupation=driver", 0.60),
    PlantedRule(("hotel_stay_before=yes",), "offender_residence=out_of_town", 0.90),
    PlantedRule(("flight_after=yes",), "case_type=fraud", 0.65),
)


@dataclass(frozen=True)
class CaseData:
    """The five sources, as their departments would deliver them (identifiers in clear)."""

    cases: pd.DataFrame  # case_id, reported_at (UTC), case_type, district, latitude, longitude
    persons: pd.DataFrame  # case_id, role, name, id_card, phone, sex, birth_year, occupation, prior_record, residence
    vehicles: pd.DataFrame  # case_id, plate, vehicle_type
    hotel_stays: pd.DataFrame  # id_card, hotel_id, check_in (UTC), check_out (UTC)
    flights: pd.DataFrame  # id_card, flight_no, departure (UTC)


def expected_confidence(rule: PlantedRule, missing_rate: float) -> float:
    """What mining observes with one offender per case: an offender attribute is missing (no item) with `missing_rate`.

    With second offenders (`second_offender_rate` > 0) a case has two chances to show an offender attribute,
    so the observed confidence is higher: this is then a lower bound.
    """
    return rule.confidence * (1 - missing_rate) if rule.consequent.startswith("offender_") else rule.confidence


def _id_cards(rng: np.random.Generator, n: int) -> np.ndarray:
    """Fake 18-character resident id numbers with a valid check character (GB 11643-1999)."""
    digits = rng.integers(0, 10, size=(n, 17))
    digits[:, 0] = rng.integers(1, 7, size=n)
    weights = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
    check = np.array(list("10X98765432"))[(digits * weights).sum(axis=1) % 11]
    return np.array(["".join(map(str, row)) + c for row, c in zip(digits, check)])


def _joined(*parts: object) -> np.ndarray:
    """Element-wise string concatenation of arrays (or constants)."""
    out = np.asarray(parts[0]).astype(object)
    for part in parts[1:]:
        out = out + np.asarray(part).astype(object)
    return out


def _digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    return np.char.zfill(rng.integers(0, 10**width, n).astype(str), width)


def _case_ids(numbers: np.ndarray) -> np.ndarray:
    return _joined("C", np.char.zfill(np.asarray(numbers).astype(str), 9))


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    return _joined("1", rng.choice(["3", "5", "8"], n), _digits(rng, n, 9))


def _names(rng: np.random.Generator, n: int, two_part_given: bool = False) -> np.ndarray:
    given = rng.choice(GIVEN, n)
    if two_part_given:
        given = _joined(given, np.char.lower(rng.choice(["", *GIVEN], n)))
    return _joined(rng.choice(SURNAMES, n), " ", given)


def _variant(name: str, rng: np.random.Generator) -> str:
    """The same name as another clerk typed it: upper case, doubled space, or two letters swapped."""
    kind = rng.integers(0, 4)
    if kind == 0:
        return name.upper()
    if kind == 1:
        return name.replace(" ", "  ")
    if kind == 2 and len(name) > 4:
        i = int(rng.integers(1, len(name) - 2))
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name


def generate_cases(
    n_cases: int,
    seed: int = 5,
    missing_rate: float = 0.08,
    second_offender_rate: float = 0.15,
    start: str = "2025-01-01",
    first_case: int = 0,
) -> CaseData:
    """`n_cases` cases over one year with their persons, vehicles, hotel stays and flights; deterministic for a seed."""
    rng = np.random.default_rng(seed)
    n = n_cases
    t0 = pd.Timestamp(start, tz="UTC")
    # the case: when, where, what (a flight right after the case makes fraud likely: planted rule 5)
    seconds = rng.integers(0, 365 * 86400, n)
    reported = t0 + pd.to_timedelta(seconds, unit="s")
    hour = np.asarray(reported.tz_convert("Asia/Shanghai").hour)
    flight_after = rng.random(n) < 0.10
    case_type = rng.choice(CASE_TYPES, n, p=CASE_TYPE_SHARE)
    not_fraud = [t for t in CASE_TYPES if t != "fraud"]
    share = np.array([CASE_TYPE_SHARE[CASE_TYPES.index(t)] for t in not_fraud])
    case_type = np.where(
        flight_after,
        np.where(rng.random(n) < PLANTED[4].confidence, "fraud", rng.choice(not_fraud, n, p=share / share.sum())),
        case_type,
    )
    district = rng.choice(DISTRICTS, n)
    vehicle = rng.random(n) < np.where(case_type == "robbery", 0.5, 0.15)
    night = (hour >= 22) | (hour < 6)
    # one offender per case (15 % have a second), drawn from a pool so that repeat offenders reappear
    pool = max(10, int(n * 0.7))
    pool_names = _names(rng, pool, two_part_given=True)
    pool_ids, pool_phone = _id_cards(rng, pool), _phones(rng, pool)
    pool_sex = np.where(rng.random(pool) < 0.78, "M", "F")
    pool_birth = 2025 - rng.choice([16, 21, 29, 39, 51, 65], pool, p=AGE_BAND_SHARE) - rng.integers(0, 4, pool)
    second = rng.random(n) < second_offender_rate
    case_of = np.concatenate([np.arange(n), np.flatnonzero(second)])
    m = len(case_of)
    who = rng.integers(0, pool, m)
    ct, nt, vh = case_type[case_of], night[case_of], vehicle[case_of]
    prior = np.where(rng.random(m) < 0.35, "yes", "no")
    planted_prior = (ct == "burglary") & nt
    prior = np.where(planted_prior, np.where(rng.random(m) < PLANTED[0].confidence, "yes", "no"), prior)
    sex = pool_sex[who]
    others = [o for o in OCCUPATIONS if o != "driver"]
    occupation = rng.choice(OCCUPATIONS, m)
    getaway = (ct == "robbery") & vh
    occupation = np.where(getaway, np.where(rng.random(m) < PLANTED[2].confidence, "driver", rng.choice(others, m)), occupation)
    birth = pool_birth[who]
    fraud = ct == "fraud"
    fraud_age = np.where(
        rng.random(m) < PLANTED[1].confidence,
        2025 - 29,
        2025 - rng.choice([16, 21, 39, 51, 65], m, p=np.array([6, 26, 20, 14, 4]) / 70),
    )
    birth = np.where(fraud, fraud_age, birth)
    hotel_before = rng.random(m) < 0.12
    residence = np.where(
        rng.random(m) < np.where(hotel_before, PLANTED[3].confidence, 0.10), "out_of_town", rng.choice(DISTRICTS, m)
    )
    retyped = np.flatnonzero(rng.random(m) < 0.3)
    names = pool_names[who].astype(object)
    names[retyped] = [_variant(v, rng) for v in names[retyped]]
    offenders = pd.DataFrame(
        {
            "case_id": _case_ids(first_case + case_of),
            "role": "offender",
            "name": names,
            "id_card": pool_ids[who],
            "phone": pool_phone[who],
            "sex": sex,
            "birth_year": birth.astype(str),
            "occupation": occupation,
            "prior_record": prior,
            "residence": residence,
        }
    )
    for column in ("sex", "birth_year", "occupation", "prior_record", "residence"):
        offenders.loc[rng.random(m) < missing_rate, column] = None
    victims = pd.DataFrame(
        {
            "case_id": _case_ids(first_case + np.arange(n)),
            "role": "victim",
            "name": _names(rng, n),
            "id_card": _id_cards(rng, n),
            "phone": _phones(rng, n),
            "sex": np.where(rng.random(n) < 0.5, "M", "F"),
            "birth_year": (2025 - rng.integers(16, 80, n)).astype(str),
            "occupation": rng.choice(OCCUPATIONS, n),
            "prior_record": "no",
            "residence": rng.choice(DISTRICTS, n),
        }
    )
    case_time = reported[case_of]
    stays_in_window = pd.DataFrame(
        {
            "id_card": pool_ids[who][hotel_before],
            "hotel_id": _joined("H", _digits(rng, int(hotel_before.sum()), 4)),
            "check_in": case_time[hotel_before] - pd.to_timedelta(rng.integers(3600, 3 * 86400, hotel_before.sum()), unit="s"),
        }
    )
    unrelated = rng.random(m) < 0.10  # a stay a month before: outside any sensible window
    stays_outside = pd.DataFrame(
        {
            "id_card": pool_ids[who][unrelated],
            "hotel_id": _joined("H", _digits(rng, int(unrelated.sum()), 4)),
            "check_in": case_time[unrelated] - pd.to_timedelta(30, unit="D"),
        }
    )
    stays = pd.concat([stays_in_window, stays_outside], ignore_index=True)
    stays["check_out"] = stays["check_in"] + pd.to_timedelta(1, unit="D")
    flyers = np.flatnonzero(flight_after)
    first_offender = who[:n]
    flights = pd.DataFrame(
        {
            "id_card": pool_ids[first_offender[flyers]],
            "flight_no": _joined(rng.choice(["CA", "MU", "CZ", "HU"], len(flyers)), _digits(rng, len(flyers), 4)),
            "departure": reported[flyers] + pd.to_timedelta(rng.integers(3600, 3 * 86400, len(flyers)), unit="s"),
        }
    )
    with_vehicle = np.flatnonzero(vehicle)
    vehicles = pd.DataFrame(
        {
            "case_id": _case_ids(first_case + with_vehicle),
            "plate": _joined(
                rng.choice(list(PROVINCES), len(with_vehicle)),
                rng.choice(list("ABCDEFGHJKLMNPQRSTUVWXYZ"), len(with_vehicle)),
                "·",
                _digits(rng, len(with_vehicle), 5),
            ),
            "vehicle_type": rng.choice(["car", "motorbike", "van"], len(with_vehicle)),
        }
    )
    cases = pd.DataFrame(
        {
            "case_id": _case_ids(first_case + np.arange(n)),
            "reported_at": reported,
            "case_type": case_type,
            "district": district,
            "latitude": 39.9 + rng.normal(0, 0.08, n),
            "longitude": 116.4 + rng.normal(0, 0.1, n),
        }
    )
    return CaseData(cases, pd.concat([offenders, victims], ignore_index=True), vehicles, stays, flights)


LOCAL_TZ = "Asia/Shanghai"


def write_case_files(data: CaseData, out: Path, append: bool = False) -> list[Path]:
    """The five sources as their departments deliver them: UTF-8 CSV, local time, one file per source and month.

    With `append`, rows are added to files already there (how `write_many_cases` builds 10^7 cases in chunks).
    """
    out.mkdir(parents=True, exist_ok=True)
    local = data.cases["reported_at"].dt.tz_convert(LOCAL_TZ)
    month_of_case = dict(zip(data.cases["case_id"], local.dt.strftime("%Y-%m")))
    cases = data.cases.assign(
        reported_at=local.dt.strftime("%Y-%m-%d %H:%M:%S"),
        latitude=data.cases["latitude"].round(5),
        longitude=data.cases["longitude"].round(5),
    )
    stays = data.hotel_stays.drop(columns="check_out").assign(check_in=data.hotel_stays["check_in"].dt.tz_convert(LOCAL_TZ))
    flights = data.flights.assign(departure=data.flights["departure"].dt.tz_convert(LOCAL_TZ))
    sources = {
        "SYNTHETIC_cases": (cases, cases["case_id"].map(month_of_case)),
        "SYNTHETIC_persons": (data.persons, data.persons["case_id"].map(month_of_case)),
        "SYNTHETIC_vehicles": (data.vehicles, data.vehicles["case_id"].map(month_of_case)),
        "SYNTHETIC_hotel_stays": (
            stays.assign(check_in=stays["check_in"].dt.strftime("%Y-%m-%d %H:%M:%S")),
            stays["check_in"].dt.strftime("%Y-%m"),
        ),
        "SYNTHETIC_flights": (
            flights.assign(departure=flights["departure"].dt.strftime("%Y-%m-%d %H:%M:%S")),
            flights["departure"].dt.strftime("%Y-%m"),
        ),
    }
    paths = []
    for name, (frame, months) in sources.items():
        for month, rows in frame.groupby(months.to_numpy(), sort=True):
            path = out / f"{name}_{month}.csv"
            adding = append and path.exists()
            rows.to_csv(path, index=False, mode="a" if adding else "w", header=not adding)
            paths.append(path)
    return paths


def write_many_cases(n_cases: int, out: Path, seed: int = 5, chunk: int = 1_000_000) -> list[Path]:
    """Up to 10^7 cases and beyond in bounded memory: generated and appended chunk by chunk.

    Repeat offenders recur within a chunk, not across chunks; every planted rule holds in every chunk.
    """
    paths: set[Path] = set()
    for first in range(0, n_cases, chunk):
        data = generate_cases(min(chunk, n_cases - first), seed=seed + first // chunk, first_case=first)
        paths.update(write_case_files(data, out, append=first > 0))
    return sorted(paths)
