"""The real de-identified COVID-19 tests through their feed (names dropped, the person pseudonymised, implausible
values quarantined) into the health marts: no published cell under k people, no withheld cell recoverable from the
totals, and the outbreak signals."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.config import load_settings
from pipelines.domains.health import disclosure, marts, private_counts, testing
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.health import HEALTH_PRIVATE_DAILY, HEALTH_SIGNALS, HEALTH_TESTING_DAILY
from pipelines.lake.storage import Lake
from tests.conftest import DATA_DIR, require_data, through_feed

pytestmark = pytest.mark.slow


def pattern(rows: pd.DataFrame, withheld: str) -> disclosure.Suppressed:
    """A dimension's published table rebuilt from the mart (days x categories with their totals), and what is withheld."""
    days = rows.assign(day=rows["pandemic_day"].astype(object).where(rows["pandemic_day"].notna(), disclosure.TOTAL))
    days = days.assign(category=days["category"].replace({testing.ALL: disclosure.TOTAL}))
    hidden = days.pivot(index="day", columns="category", values=withheld).astype(bool)
    order = [d for d in hidden.index if d != disclosure.TOTAL] + [disclosure.TOTAL]
    columns = [c for c in hidden.columns if c != disclosure.TOTAL] + [disclosure.TOTAL]
    hidden = hidden.loc[order, columns]
    return disclosure.Suppressed(hidden.astype(int), hidden, hidden)


def test_published_health_statistics_protect_the_people_in_them(tmp_path, dask_client) -> None:
    settings = load_settings(lake_uri=str(tmp_path / "lake"), data_dir=DATA_DIR, pseudonym_key="test-key-not-a-secret")
    source = require_data(DATA_DIR / "health" / "covid_testing.csv.gz")
    summary = through_feed(settings, dask_client, "covid_testing", [source])
    assert summary.quarantined_by_reason == {"IMPLAUSIBLE_TURNAROUND": 5, "IMPLAUSIBLE_AGE": 1}
    assert summary.rows_clean == 15_524 - 6
    lake = Lake(settings)
    clean = lake.read(clean_dataset("health_tests"))
    raw = pd.read_csv(source)
    assert not {"fake_first_name", "fake_last_name", "subject_id"} & set(clean.columns)
    assert clean["subject_key"].str.fullmatch(r"[0-9a-f]{32}").all()
    assert (
        clean["subject_key"].nunique() == raw.loc[(raw["age"] <= 120), "subject_id"].nunique() - 4
    )  # 4 people only in rows quarantined for turnaround
    text = clean.astype(str)
    for name in ("westerling", "targaryen"):  # the file's (fake) names reach no column
        assert not text.isin([name]).any().any() and not text.apply(lambda c, n=name: c.str.contains(n)).any().any()

    result = marts.build(settings, "h1", testing.HealthParams(k=11))
    daily = lake.read(HEALTH_TESTING_DAILY)
    people, positives = daily["people_tested"].dropna(), daily["positives"].dropna()
    assert ((people == 0) | (people >= 11)).all() and ((positives == 0) | (positives >= 11)).all()
    for dimension in testing.DIMENSIONS:
        rows = daily[daily["dimension"] == dimension]
        for withheld in ("tests_withheld", "positives_withheld"):
            assert disclosure.recoverable(pattern(rows, withheld)) == [], (dimension, withheld)
    totals = daily[(daily["dimension"] == "age_band") & daily["pandemic_day"].isna() & (daily["category"] == "all")].iloc[0]
    assert (totals["tests"], totals["positives"], round(totals["positivity"], 4)) == (15_518, 865, 0.0557)
    assert result["tests_withheld"] == {
        d: int(daily.loc[daily["dimension"] == d, "tests_withheld"].sum()) for d in testing.DIMENSIONS
    }

    flagged = lake.read(HEALTH_SIGNALS).sort_values("pandemic_day")
    assert len(flagged) == 107 - 4 + 1  # every day from the first to the last, a day without positives a zero
    # the early rise (days 13-19) and a later bump (day 79)
    assert flagged.loc[flagged["c2_signal"], "pandemic_day"].tolist() == [13, 16, 18, 19, 79]
    assert flagged.loc[flagged["cusum_signal"], "pandemic_day"].tolist() == [13, 18, 19, 79]
    assert result["signal_days"] == {"C1": 6, "C2": 5, "C3": 10, "CUSUM": 4}
    shown = flagged["positives"].dropna()
    assert len(shown) == 36 and ((shown == 0) | (shown >= 11)).all()

    # the differentially private release: every day, each person's tests bounded, OpenDP's noise at the budget's scale
    privacy = private_counts.PrivacyParams(epsilon=1.0, max_tests_per_person=3)
    private = marts.build(settings, "h2", testing.HealthParams(k=11), privacy)["private"]
    released = lake.read(HEALTH_PRIVATE_DAILY).sort_values("pandemic_day")
    assert released["pandemic_day"].tolist() == flagged["pandemic_day"].tolist()
    assert set(released["noise_scale"]) == {6.0} and set(released["epsilon"]) == {1.0}
    assert (released["positives"] <= released["tests"]).all() and (released["tests"] >= 0).all()
    exact = private_counts.true_daily(private_counts.bounded(clean, 3), range(4, 108))
    assert (released.set_index("pandemic_day")["tests"] - exact["tests"]).abs().mean() < 3 * 6.0  # noise, not a copy
    assert private["republished"] is True and set(private["signal_days_true_noisy_both"]) == {"C1", "C2", "C3", "CUSUM"}
    assert private["signal_days_true_noisy_both"]["C2"]["true"] == 5
    # a rerun on the same data draws no new noise into the lake: a reader cannot average releases
    version = lake.version(HEALTH_PRIVATE_DAILY)
    assert marts.build(settings, "h3", testing.HealthParams(k=11), privacy)["private"]["republished"] is False
    assert lake.version(HEALTH_PRIVATE_DAILY) == version
