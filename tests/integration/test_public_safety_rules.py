"""Association rules at lake scale: five synthetic police sources through the feeds (pseudonymised), baskets built
on the workers month by month, exact mining on the cluster, the planted rules published, nothing personal in the marts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from pipelines.config import load_settings
from pipelines.domains.public_safety.pipeline import RuleMiningParams, mine_rules
from pipelines.domains.public_safety.synthetic import PLANTED, generate_cases, write_case_files
from pipelines.flows import clean as clean_flow
from pipelines.lake import delta
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake
from pipelines.sources.registry import all_sources
from tests.conftest import DATA_DIR, POLICE_FEEDS, deliver_cases, personal_identifiers

pytestmark = pytest.mark.slow


def test_rules_from_the_police_sources(tmp_path: Path, dask_client) -> None:
    settings = load_settings(lake_uri=str(tmp_path / "lake"), data_dir=DATA_DIR, pseudonym_key="test-key-not-a-secret")
    lake = Lake(settings)
    lake.ensure_exists()
    data = generate_cases(20_000, seed=4)
    deliver_cases(lake, write_case_files(data, tmp_path / "files"))
    for name in POLICE_FEEDS:
        feed = all_sources()[name]
        clean_flow.ingest(settings, feed, "r1", dt.datetime(2026, 2, 1, tzinfo=dt.UTC))  # after the last flight
        summary = clean_flow.clean(settings, feed, "r1", dask_client)
        assert summary.rows_quarantined <= summary.rows_in * 0.001, summary

    persons = delta.read_table(lake, lake.layout.table(Zone.CLEAN, "case_persons"))
    assert personal_identifiers(persons) == [] and persons["person_id"].str.fullmatch(r"[0-9a-f]{32}").all()
    assert not set(persons["person_id"]) & set(data.persons["id_card"])

    result = mine_rules(settings, "r1", dask_client, RuleMiningParams(period="2025", min_group_size=10))
    cases = delta.read_table(lake, lake.layout.table(Zone.CLEAN, "case_records"))
    in_2025 = cases["ts_utc"].dt.tz_convert("Asia/Shanghai").dt.year == 2025  # the last hours of the UTC year are 2026 there
    assert len(cases) == 20_000 and result["baskets"] == int(in_2025.sum()) > 19_900
    rules = delta.read_table(lake, lake.layout.table(Zone.CURATED, "crime_rules"))
    assert len(rules) == result["rules"] and set(rules["period"]) == {"2025"} and (rules["count"] >= 10).all()
    found = set(zip(rules["antecedent"], rules["consequent"]))
    assert {(" & ".join(sorted(p.antecedent)), p.consequent) for p in PLANTED} <= found
    assert (rules["window_hours"] == 72).all() and rules["params_json"].str.contains('"min_support": 0.005').all()
    assert personal_identifiers(rules) == []

    again = mine_rules(settings, "r2", dask_client, RuleMiningParams(period="2025", min_group_size=10))
    assert again["table_version"] == result["table_version"]  # same inputs and parameters: nothing republished
    quarter = mine_rules(settings, "r3", dask_client, RuleMiningParams(period="2025-Q1", min_group_size=50))
    rules = delta.read_table(lake, lake.layout.table(Zone.CURATED, "crime_rules"))
    assert sorted(rules["period"].unique()) == ["2025", "2025-Q1"] and (rules.loc[rules.period == "2025-Q1", "count"] >= 50).all()
    assert quarter["baskets"] == int((cases["ts_utc"] < pd.Timestamp("2025-03-31 16:00", tz="UTC")).sum())
