"""The public-safety marts: crime hotspots and association rules between case and offender attributes."""

from __future__ import annotations

from pipelines.lake.catalog.model import Column, Section, Table
from pipelines.lake.layout import Zone

_RUN = Column("run_id", "string", description="the run that published it")

CRIME_HOTSPOTS = Table(
    Zone.CURATED,
    "crime_hotspots",
    "public_safety",
    "Incidents per district, local weekday and hour, with the trend",
    (
        Column(
            "period", "string", description="`2019`, `2019-Q3` or `2019-07` by the `granularity` param (local time of the city)"
        ),
        Column("district", "string", description="police district from the polygons, else as reported, else `unknown`"),
        Column("weekday", "int8", description="local weekday, Monday = 0"),
        Column("hour", "int8", description="local hour"),
        Column("incidents", "int", description="how many (null when suppressed)"),
        Column(
            "previous_incidents", "int", description="the same cell in the period before (0 when none; null for the first period)"
        ),
        Column("change_pct", "float", "%", "100 * (incidents / previous_incidents - 1); null when there were none before"),
        Column(
            "suppressed", "bool", description="the cell or its previous count is below `min_group_size`: its numbers are null"
        ),
        Column("granularity", "string", description="year, quarter or month"),
        _RUN,
    ),
    grain="one row per period, police district, local weekday and local hour with at least one incident",
    key=("period", "district", "weekday", "hour"),
    partition_by=("period",),
    cadence="1D",
    producer="public_safety_hotspots",
    inputs=("clean/crime_incidents",),
    logic=("pipelines.domains.public_safety.hotspots", "pipelines.domains.public_safety.pipeline"),
    notes="Every period is recomputed on each run (a trend needs the period before): counts per delivered file on "
    "the Dask workers, summed on the client, one commit. `min_group_size` defaults to 1: incident counts carry no "
    "personal data; raise it when counting cases from personal records.",
)
CRIME_RULES = Table(
    Zone.CURATED,
    "crime_rules",
    "public_safety",
    "Association rules between case and offender attributes, per period",
    (
        Column("period", "string", description="the cases mined: `2025`, `2025-Q1`, `2025-03` (local time, Asia/Shanghai)"),
        Column("antecedent", "string", description="items joined by ` & `, sorted"),
        Column("consequent", "string", description="an offender attribute or a crime type"),
        Column("antecedent_size", "int32", description="items in the antecedent"),
        Column("count", "int", description="cases with antecedent and consequent"),
        Column("antecedent_count", "int", description="cases with the antecedent"),
        Column("consequent_count", "int", description="cases with the consequent"),
        Column("support", "float", description="count / baskets"),
        Column("confidence", "float", description="count / antecedent_count"),
        Column("lift", "float", description="confidence / support of the consequent"),
        Column("conviction", "float", description="(1 - support(consequent)) / (1 - confidence); infinite at confidence 1"),
        Column(
            "improvement", "float", description="confidence minus the best of the same consequent from any shorter antecedent"
        ),
        Column("baskets", "int", description="cases in the period"),
        Column("window_hours", "int32", "h", "hotel stays before / flights after a case that count"),
        Column("min_support", "float", description="parameter: smallest support mined"),
        Column("min_confidence", "float", description="parameter: smallest confidence kept"),
        Column("min_lift", "float", description="parameter: smallest lift kept"),
        Column("min_group_size", "int32", description="parameter k: rules seen in fewer cases are not published"),
        Column("params_json", "string", description="every parameter"),
        Column("input_versions", "string", description="JSON: the clean tables' versions read"),
        Column("code_version", "string", description="the package version and commit (information only)"),
        _RUN,
    ),
    grain="one row per period and rule",
    key=("period", "antecedent", "consequent"),
    partition_by=("period",),
    cadence="1D",
    producer="public_safety_rules",
    inputs=tuple(f"clean/{name}" for name in ("case_records", "case_persons", "case_vehicles", "hotel_stays", "flights")),
    logic=(
        "pipelines.domains.public_safety.baskets",
        "pipelines.domains.public_safety.itemsets",
        "pipelines.domains.public_safety.rules",
        "pipelines.domains.public_safety.pipeline",
    ),
    notes="""One basket per case reported in the period: `case_type=`, `time_of_day=` (night 22-6, morning, afternoon,
evening), `day_type=` (weekday/weekend), `district=`; each offender's `offender_age=` (band at the case's
year), `offender_sex=`, `offender_occupation=`, `offender_prior=`, `offender_residence=` (local or
out_of_town; a missing attribute gives no item); `vehicle=yes`; `hotel_stay_before=yes` / `flight_after=yes`
when an offender (joined by pseudonymised id-card number) checked in / flew within `window_hours` before /
after the case. Itemsets are exact (tests compare them with brute force and mlxtend).

Rules are kept when confidence >= `min_confidence`, lift >= `min_lift`, and the improvement is at least
`min_improvement` (0.05) and three standard errors of the confidence (without that, every real rule comes
back padded with each unrelated attribute of the case, and chance makes new ones at a few hundred cases).
An antecedent holding two values of one attribute (two offenders' ages) is skipped: a fact about
multi-offender cases, not a rule. **Personal data**: names, id-card numbers, phone numbers and plates are
replaced by keyed HMAC-SHA256 pseudonyms in the feeds (`pseudonymize:` in the YAML, key from
`CITYLAKE_PSEUDONYM_KEY` or the Airflow connection `citylake_pseudonym`, never in code) before the clean
zone; no mart holds an identifier (a test scans for id-card, phone and plate patterns); rules seen in fewer
than `min_group_size` (k, default 10) cases are not published. The raw and quarantine zones keep the
records as delivered: they are for the data stewards, not for BI.""",
)

SECTION = Section("Public safety", (CRIME_HOTSPOTS, CRIME_RULES))
