"""The health marts: testing statistics with every small cell withheld, and outbreak signals on the positives."""

from __future__ import annotations

from pipelines.lake.catalog.model import Column, Section, Table
from pipelines.lake.layout import Zone

_RUN = Column("run_id", "string", description="the run that published it")
_FLAGS = (  # the signals' flags, on the true counts (health_signals) or the noisy ones (health_private_daily)
    Column("c1_signal", "bool", description="C1 > 3"),
    Column("c2_signal", "bool", description="C2 > 3"),
    Column("c3_signal", "bool", description="C3 > 2"),
    Column("cusum_signal", "bool", description="CUSUM > 4"),
)
_LOGIC = ("pipelines.domains.health.testing", "pipelines.domains.health.disclosure", "pipelines.domains.health.marts")

HEALTH_TESTING_DAILY = Table(
    Zone.CURATED,
    "health_testing_daily",
    "health",
    "Tests, positives and positivity by pandemic day and by age band, clinic or payor; cells under k people withheld",
    (
        Column("dimension", "string", description="age_band, clinic or payor_group"),
        Column("pandemic_day", "int32", description="the day (null: the category's total over all days)"),
        Column("category", "string", description="the age band, clinic or payor (`all`: the day's total; `not recorded`)"),
        Column(
            "people_tested",
            "int",
            description="people tested in the cell (null: withheld); a total is the sum of its cells, so a person tested "
            "at two clinics counts at each",
        ),
        Column("tests", "int", description="tests (null: withheld)"),
        Column("positives", "int", description="positive tests (null: withheld)"),
        Column("positivity", "float", description="positives / tests where both are published"),
        Column(
            "tests_withheld",
            "bool",
            description="the people tested are 1 to k-1, or withheld so that such a cell cannot be worked out",
        ),
        Column("positives_withheld", "bool", description="the same for the people who tested positive"),
        Column("k", "int32", description="the small-cell threshold of the run"),
        _RUN,
    ),
    grain="one row per dimension, day (and all days) and category (and all)",
    key=("dimension", "pandemic_day", "category"),
    partition_by=(),
    cadence="1D",
    producer="health_marts",
    inputs=("clean/health_tests",),
    logic=_LOGIC,
    time_column=None,
    notes="Every published cell counts at least k people (`k`, a param of the `health_marts` DAG, default 11) or none; "
    "a cell of 1 to k-1 is withheld, and so are enough other cells and totals that no withheld cell follows from the "
    "published totals (complementary suppression, checked by solving the totals' equations). Tests and positives are "
    "withheld apart: a day's tests can be published while its few positives are not.",
)

HEALTH_SIGNALS = Table(
    Zone.CURATED,
    "health_signals",
    "health",
    "Outbreak signals on the daily positive tests: CDC EARS C1, C2, C3 and a CUSUM, with their parameters",
    (
        Column("pandemic_day", "int32", description="the day"),
        Column("c1", "float", description="(positives - mean of the 7 days before) / their sd (null: a count in it is withheld)"),
        Column("c2", "float", description="the same with a 2-day guard band (days t-9 .. t-3); null likewise"),
        Column("c3", "float", description="sum over the last 3 days of max(0, C2 - 1); null likewise"),
        Column(
            "cusum",
            "float",
            description="one-sided CUSUM of the C2 values (k = 0.5), restarting after a signal; null from the first "
            "withheld day on",
        ),
        *_FLAGS,
        Column("positives", "int", description="the day's positive tests, published at k people or more (else null)"),
        Column("params", "string", description="the methods' thresholds of the run"),
        _RUN,
    ),
    grain="one row per pandemic day",
    key=("pandemic_day",),
    partition_by=(),
    cadence="1D",
    producer="health_marts",
    inputs=("clean/health_tests",),
    logic=(*_LOGIC, "pipelines.domains.health.signals"),
    time_column=None,
    notes="Hutwagner et al. (2003), the EARS methods; the standard deviation is floored at 0.5. The signals are computed "
    "on the full daily counts, but a statistic is published only where every count it is computed from is (C1: the "
    "day and the 7 before; C2: the day and the 9 before; C3: the 12 days to it; the CUSUM: every day so far): else a "
    "withheld count would follow from the statistic and the published counts. The four flags, one bit each, are "
    "published every day.",
)

HEALTH_PRIVATE_DAILY = Table(
    Zone.CURATED,
    "health_private_daily",
    "health",
    "Differentially private tests and positives per pandemic day (OpenDP), and the outbreak signals on them",
    (
        Column("pandemic_day", "int32", description="the day"),
        Column("tests", "int", description="tests, with discrete Laplace noise (each person's first few tests counted)"),
        Column("positives", "int", description="positive tests, with the same noise; at most `tests`"),
        Column("epsilon", "float", description="the release's privacy budget (both counts together)"),
        Column("max_tests_per_person", "int32", description="each person's tests counted at most this many times"),
        Column("noise_scale", "float", description="the Laplace scale of each count: max_tests_per_person / (epsilon / 2)"),
        Column("c1", "float", description="EARS C1 on the noisy positives"),
        Column("c2", "float", description="EARS C2 on the noisy positives"),
        Column("c3", "float", description="EARS C3 on the noisy positives"),
        Column("cusum", "float", description="the CUSUM on the noisy positives"),
        *_FLAGS,
        _RUN,
    ),
    grain="one row per pandemic day",
    key=("pandemic_day",),
    partition_by=(),
    cadence="1D",
    producer="health_marts",
    inputs=("clean/health_tests",),
    logic=(*_LOGIC, "pipelines.domains.health.signals", "pipelines.domains.health.private_counts"),
    time_column=None,
    notes="Published only when the `health_marts` DAG runs with `epsilon` > 0. Each person's tests are bounded to "
    "their first `max_tests_per_person` by day, so one person changes each daily histogram by at most that much (L1); "
    "each histogram gets OpenDP's discrete Laplace noise spending epsilon / 2, checked against the mechanism's "
    "privacy map. Negative counts are clipped to 0 and positives kept at most the tests (post-processing). A rerun "
    "on the same clean version publishes nothing new (same idempotency key), so the noise is not redrawn for a reader "
    "to average; a release on a new version of the data spends its budget again on the days it shares with the "
    "last. How far the noise moves the signals is in the run record and in `make bench-dp` (docs/health.md).",
)

SECTION = Section(
    "Health",
    (HEALTH_TESTING_DAILY, HEALTH_SIGNALS, HEALTH_PRIVATE_DAILY),
    intro="Built from the clean `health_tests` (pseudonymised: no name, no record number); no row-level data leaves "
    "the clean zone, and every published count is at least k people or withheld.",
)
