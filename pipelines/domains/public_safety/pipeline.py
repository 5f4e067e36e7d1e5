"""The public-safety jobs on the lake and the Dask cluster: crime hotspots (and, next, the rules)."""

from __future__ import annotations

import dataclasses
import itertools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipelines.compute import map_with_progress
from pipelines.config import Settings
from pipelines.domains.public_safety import hotspots as hot
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.public_safety import CRIME_HOTSPOTS, CRIME_RULES
from pipelines.lake.runs import code_version, idempotency_key, write_run_record
from pipelines.lake.storage import Lake
from pipelines.sources.registry import feeds_into
from pipelines.sources.spec import FeedSpec

if TYPE_CHECKING:
    from pipelines.domains.public_safety.itemsets import Baskets


if TYPE_CHECKING:
    import distributed


log = logging.getLogger(__name__)
INCIDENTS = clean_dataset("crime_incidents")
HOTSPOTS_PIPELINE = "public_safety_hotspots"


@dataclass(frozen=True)
class HotspotParams:
    """How incidents are binned: period length, the city's local time, the smallest group published."""

    granularity: str = "year"
    timezone: str = "America/Chicago"
    min_group_size: int = 1  # incident counts carry no personal data; raise it for counts from case records


def _read(lake: Lake, dataset: str, version: int, filters: list | None, columns: list[str]) -> pd.DataFrame:
    return lake.read(clean_dataset(dataset), version=version, columns=columns, filters=filters)


def count_partition(source_file: str, settings: Settings, version: int, params: HotspotParams) -> pd.DataFrame:
    """On a worker: the cell counts of one delivered file's incidents."""
    rows = _read(
        Lake(settings), INCIDENTS.name, version, [("source_file", "=", source_file)], ["ts_utc", "district", "reported_district"]
    )
    rows["district"] = rows["district"].fillna(rows["reported_district"])
    return hot.cell_counts(rows, params.granularity, params.timezone)


def build_hotspots(settings: Settings, run_id: str, client: distributed.Client, params: HotspotParams) -> dict[str, Any]:
    """clean/crime_incidents -> curated/crime_hotspots, every period recomputed (a trend needs the period before)."""
    lake = Lake(settings)
    version = lake.require(INCIDENTS, "run the police_chicago_assaults_clean DAG first")
    files = lake.partition_values(INCIDENTS, "source_file", version)  # clean incidents are laid out by delivered file
    counts = map_with_progress(client, count_partition, files, lambda f: f"hotspot counts of {f}", settings, version, params)
    cells = hot.hotspots(pd.concat(counts, ignore_index=True), params.min_group_size)
    cells = cells.assign(granularity=params.granularity, run_id=run_id)
    key = idempotency_key("hotspots", lake.uri(INCIDENTS), version, params, CRIME_HOTSPOTS.logic_version)
    published = lake.publish(CRIME_HOTSPOTS, cells, None, run_id, key, {"citylake.source_version": str(version)})
    result = {
        "rows": len(cells),
        "periods": sorted(cells["period"].unique()),
        "suppressed": int(cells["suppressed"].sum()),
        "incidents": int(cells["incidents"].sum()),
        "table_version": published.version,
        "clean_version": version,
        "partitions": sorted(cells["period"].unique()),
    }
    write_run_record(lake, HOTSPOTS_PIPELINE, run_id, {**result, "params": params.__dict__})
    return result


# --- association rules between case and offender attributes -------------------------------------------------------

RULES_PIPELINE = "public_safety_rules"
CASE_TABLES = ("case_records", "case_persons", "case_vehicles", "hotel_stays", "flights")


def case_feeds() -> list[FeedSpec]:
    """The police feeds whose clean tables the rules mine (their YAML names the dataset; identifiers pseudonymised)."""
    return feeds_into(CASE_TABLES)


@dataclass(frozen=True)
class RuleMiningParams:
    """Which cases are mined (a period of local time) and which rules are kept; every value is recorded with the rules."""

    period: str  # "2025", "2025-Q1" or "2025-03", local time ("" : the year of the latest case)
    window_hours: int = 72  # hotel stays before / flights after a case that count as linked to it
    min_support: float = 0.005
    min_confidence: float = 0.5
    min_lift: float = 1.5
    min_improvement: float = 0.05
    max_consequent: int = 1
    min_group_size: int = 10  # k: a rule seen in fewer cases is not published
    timezone: str = "Asia/Shanghai"

    def bounds(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """[start, end) of the period in UTC."""
        try:
            period = pd.Period(self.period.replace("-Q", "Q"))
        except ValueError as exc:
            raise ValueError(f"period {self.period!r} is not a year (2025), a quarter (2025-Q1) or a month (2025-03)") from exc
        start = period.start_time.tz_localize(self.timezone)
        end = (period + 1).start_time.tz_localize(self.timezone)
        return start.tz_convert("UTC"), end.tz_convert("UTC")

    def months(self) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
        """The period cut into local calendar months: one task each."""
        start, end = self.bounds()
        local_start = start.tz_convert(self.timezone)
        edges = pd.date_range(local_start, end.tz_convert(self.timezone), freq="MS", tz=self.timezone)
        edges = edges.union(pd.DatetimeIndex([local_start, end.tz_convert(self.timezone)]))
        return [(a.tz_convert("UTC"), b.tz_convert("UTC")) for a, b in itertools.pairwise(edges)]


def default_period(times: pd.Series, timezone: str) -> str:
    """The local year with the most cases (ties: the latest): the last full year, not the few hours of a new one."""
    years = times.dt.tz_convert(timezone).dt.year.value_counts()
    return str(max(years.index, key=lambda year: (years[year], year)))


def stage_case_items(
    month: tuple[pd.Timestamp, pd.Timestamp], settings: Settings, versions: dict[str, int], params: RuleMiningParams
) -> "CaseMonth":
    """On a worker: the (case_id, item) pairs of the cases reported in one month, joined with their sources."""
    from pipelines.domains.public_safety.baskets import BasketParams, case_pairs

    lake = Lake(settings)
    lo, hi = month
    window = pd.Timedelta(hours=params.window_hours)
    cases = _read(
        lake,
        "case_records",
        versions["case_records"],
        [("ts_utc", ">=", lo), ("ts_utc", "<", hi)],
        ["case_id", "ts_utc", "case_type", "reported_district"],
    )
    cases = cases.rename(columns={"ts_utc": "reported_at", "reported_district": "district"})
    ids = cases["case_id"].tolist()
    if not ids:
        return CaseMonth((), pd.DataFrame({"case_id": pd.Series(dtype=object), "item": pd.Series(dtype=object)}))
    persons = _read(
        lake,
        "case_persons",
        versions["case_persons"],
        [("case_id", "in", ids)],
        ["case_id", "role", "person_id", "sex", "birth_year", "occupation", "prior_record", "residence"],
    )
    persons = persons.rename(columns={"person_id": "id_card"})
    vehicles = _read(lake, "case_vehicles", versions["case_vehicles"], [("case_id", "in", ids)], ["case_id"])
    stays = _read(
        lake,
        "hotel_stays",
        versions["hotel_stays"],
        [("ts_utc", ">=", lo - window), ("ts_utc", "<", hi)],
        ["person_id", "ts_utc"],
    ).rename(columns={"person_id": "id_card", "ts_utc": "check_in"})
    flights = _read(
        lake, "flights", versions["flights"], [("ts_utc", ">=", lo), ("ts_utc", "<", hi + window)], ["person_id", "ts_utc"]
    ).rename(columns={"person_id": "id_card", "ts_utc": "departure"})
    basket = BasketParams(window_hours=params.window_hours, timezone=params.timezone)
    return CaseMonth(tuple(cases["case_id"]), case_pairs(cases, persons, vehicles, stays, flights, basket))


@dataclass(frozen=True)
class CaseMonth:
    """One month's cases and their (case_id, item) pairs, kept on the worker that built them."""

    case_ids: tuple[str, ...]
    pairs: pd.DataFrame


def _labels(month: CaseMonth) -> set[str]:
    return set(month.pairs["item"])


def _to_baskets(month: CaseMonth, vocabulary: tuple[str, ...]) -> Baskets:
    from pipelines.domains.public_safety.baskets import pairs_to_baskets

    return pairs_to_baskets(month.pairs, month.case_ids, vocabulary)


def mine_rules(settings: Settings, run_id: str, client: distributed.Client, params: RuleMiningParams) -> dict[str, Any]:
    """Baskets per month on the workers, exact itemsets on the cluster, constrained rules, published for the period."""
    import json

    from pipelines.domains.public_safety.baskets import consequent_allowed
    from pipelines.domains.public_safety.itemsets import mine_on_cluster
    from pipelines.domains.public_safety.rules import RuleParams, association_rules

    lake = Lake(settings)
    versions = {}
    for dataset in CASE_TABLES:
        versions[dataset] = lake.require(clean_dataset(dataset), "run the police feeds' clean DAGs first")
    if not params.period:
        times = _read(lake, "case_records", versions["case_records"], None, ["ts_utc"])["ts_utc"]
        params = dataclasses.replace(params, period=default_period(times, params.timezone))
        log.info("no period given: mining %s, the year with the most cases", params.period)
    months = params.months()
    pair_futures = [client.submit(stage_case_items, m, settings, versions, params, pure=False) for m in months]
    vocabulary = tuple(sorted(set().union(*client.gather([client.submit(_labels, f, pure=False) for f in pair_futures]))))
    basket_futures = [client.submit(_to_baskets, f, vocabulary, pure=False) for f in pair_futures]
    sizes = client.gather([client.submit(len, b, pure=False) for b in basket_futures])
    del pair_futures
    n_baskets = sum(sizes)
    log.info(
        "%d cases in %s: %d baskets over %d months, %d distinct items",
        n_baskets,
        params.period,
        n_baskets,
        len(months),
        len(vocabulary),
    )
    if n_baskets == 0:
        raise ValueError(f"no cases reported in {params.period}: nothing to mine")
    itemsets = mine_on_cluster(client, basket_futures, n_baskets, len(vocabulary), params.min_support)
    rule_params = RuleParams(params.min_confidence, params.min_lift, params.max_consequent, params.min_improvement)
    rules = association_rules(itemsets, n_baskets, vocabulary, consequent_allowed, rule_params)
    published_rules = rules[rules["count"] >= params.min_group_size]
    params_json = json.dumps(params.__dict__, sort_keys=True)
    frame = published_rules.assign(
        period=params.period,
        baskets=n_baskets,
        window_hours=params.window_hours,
        min_support=params.min_support,
        min_confidence=params.min_confidence,
        min_lift=params.min_lift,
        min_group_size=params.min_group_size,
        params_json=params_json,
        input_versions=json.dumps(versions, sort_keys=True),
        code_version=code_version(),
        run_id=run_id,
    )
    key = idempotency_key("rules", versions, params_json, CRIME_RULES.logic_version)
    published = lake.publish(CRIME_RULES, frame, {"period": [params.period]}, run_id, key)
    result = {
        "period": params.period,
        "partitions": [params.period],
        "baskets": n_baskets,
        "items": len(vocabulary),
        "itemsets": len(itemsets),
        "rules": len(frame),
        "suppressed_small_groups": int(len(rules) - len(published_rules)),
        "table_version": published.version,
        "input_versions": versions,
    }
    write_run_record(lake, RULES_PIPELINE, run_id, {**result, "params": params.__dict__})
    return result


def results_text(settings: Settings, top: int = 12) -> str:
    """The latest rules and hotspots, as an analyst would want to read them first."""
    lake = Lake(settings)
    lines = []
    if lake.has(CRIME_RULES):
        rules = lake.read(CRIME_RULES)
        period = rules.sort_values(["baskets", "period"]).iloc[-1]["period"]  # the period mined over the most cases
        best = rules[rules["period"] == period].sort_values(["lift", "count"], ascending=False).head(top)
        lines.append(
            f"Association rules of {period} ({int(best['baskets'].iloc[0]):,} cases; consequent = offender attribute "
            f"or crime type; k = {int(best['min_group_size'].iloc[0])}), by lift:"
        )
        for r in best.itertuples():
            lines.append(
                f"  {r.antecedent}  ->  {r.consequent}   cases {r.count:,}  confidence {r.confidence:.2f}  lift {r.lift:.2f}"
            )
    if lake.has(CRIME_HOTSPOTS):
        cells = lake.read(CRIME_HOTSPOTS)
        period = sorted(cells["period"].unique())[-1]
        worst = cells[(cells["period"] == period) & ~cells["suppressed"]].sort_values("incidents", ascending=False).head(5)
        lines.append(
            f"\nCrime hotspots of {period} (district, weekday 0 = Monday, hour: incidents, change on the period before):"
        )
        for c in worst.itertuples():
            change = "" if pd.isna(c.change_pct) else f" ({c.change_pct:+.0f} %)"
            lines.append(f"  district {c.district}, weekday {c.weekday}, {c.hour:02d}:00: {int(c.incidents)}{change}")
    return "\n".join(lines) or "nothing published yet"
