"""Security: no credential in the repository or DAG files; each zone's policy grants only what its role
needs; no clean or curated table holds a raw personal identifier; small groups are suppressed;
pseudonyms are stable under one key and all different after the key is rotated."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.domains.public_safety.pipeline import RuleMiningParams, mine_rules
from pipelines.domains.public_safety.synthetic import generate_cases, write_case_files
from pipelines.lake import delta
from pipelines.lake.delta import stored_tables
from pipelines.lake.layout import Zone
from pipelines.lake.policies import grants, load_policies
from tests.conftest import personal_identifiers
from tests.infra.test_policies import BUCKET, EXPECTED
from tests.reliability.police import police_lake

CREDENTIALS = {
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "secret assigned a literal": re.compile(
        r"""(?i)\b(password|passwd|secret|secret_key|secret_access_key|api_key|token|jwt_secret)\b["']?\s*[:=]\s*["']([^"'\s]{8,})["']"""
    ),
    "credentials in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:([^/\s:@${}]{6,})@"),
}


FAKE = "not-a-secret"  # test values say so in their text, and only those are let through


def tracked_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [PROJECT_ROOT / n for n in names if (PROJECT_ROOT / n).is_file()]


def test_no_credentials_in_the_repository_or_dag_files(scenario) -> None:
    started = time.monotonic()
    files = tracked_files()
    assert any(f.parent.name == "dags" for f in files) and len(files) > 100
    findings = []
    for path in files:
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue  # binary
        for what, pattern in CREDENTIALS.items():
            findings += [
                f"{path.relative_to(PROJECT_ROOT)}: {what}: {m.group(0)[:60]}"
                for m in pattern.finditer(text)
                if FAKE not in m.group(0)
            ]
    dag_texts = "\n".join(p.read_text() for p in files if p.parent.name == "dags")
    findings += [
        f"dags/: {word}"
        for word in ("AIRFLOW_CONN_", "password", "secret")
        if word in dag_texts.lower().replace("airflow_conn_", "AIRFLOW_CONN_")
    ]
    scenario.record(findings == [], seconds=time.monotonic() - started, why="; ".join(findings[:5]))
    scenario.assert_all_passed()


def test_the_scan_finds_what_it_looks_for() -> None:
    planted = {  # put together at run time, so that this file itself holds no such text for the scan to find
        "AWS access key id": 'key = "' + "AKIA" + 'IOSFODNN7EXAMPLE"',
        "private key": "-----BEGIN RSA " + "PRIVATE KEY-----",
        "secret assigned a literal": "password = " + '"hunter2hunter2"',
        "credentials in a URL": "postgresql://airflow:" + "s3cr3tpass@postgres:5432/airflow",
    }
    for what, text in planted.items():
        assert CREDENTIALS[what].search(text), what
    assert FAKE not in planted["secret assigned a literal"]
    assert not CREDENTIALS["credentials in a URL"].search(
        "postgresql+psycopg2://airflow:${POSTGRES_PASSWORD:?set it}@postgres:5432/x"
    )


def test_each_zone_policy_grants_only_what_its_role_needs(scenario) -> None:
    policies = load_policies()
    for role, expected in EXPECTED.items():
        actual = grants(policies[role], BUCKET)
        scenario.record(actual == expected, why=f"{role}: {actual} != {expected}")
    scenario.assert_all_passed()


@pytest.mark.slow
def test_personal_data_never_reaches_clean_or_curated_and_pseudonyms_follow_the_key(tmp_path, dask_client, scenario) -> None:
    cases = generate_cases(6_000, seed=11)
    files = write_case_files(cases, tmp_path / "files")
    started = time.monotonic()
    first = police_lake(tmp_path / "first", "key-one-not-a-secret", dask_client, files)
    min_group = 10
    mine_rules(first.settings, "r1", dask_client, RuleMiningParams(period="2025", min_group_size=min_group))

    # every text of every clean and curated table is scanned for id-card numbers, mobile numbers and plates
    for view in stored_tables(first):
        if view.zone in (Zone.CLEAN, Zone.CURATED):
            frame = delta.read_table(first, view.uri)
            leaked = personal_identifiers(frame)
            scenario.record(leaked == [], seconds=0.0, why=f"{view.name}: {leaked[:3]}")
    rules = delta.read_table(first, first.layout.table(Zone.CURATED, "crime_rules"))
    scenario.record(len(rules) > 0 and bool((rules["count"] >= min_group).all()), why="a rule below the minimum group size")

    # the same key gives the same pseudonyms (joins across runs and sources hold); a new key, all new ones
    again = police_lake(tmp_path / "again", "key-one-not-a-secret", dask_client, files)
    rotated = police_lake(tmp_path / "rotated", "key-two-not-a-secret", dask_client, files)
    ids = {
        name: set(delta.read_table(lake, lake.layout.table(Zone.CLEAN, "case_persons"))["person_id"])
        for name, lake in (("first", first), ("again", again), ("rotated", rotated))
    }
    raw_ids = set(cases.persons["id_card"])
    scenario.record(ids["first"] == ids["again"] and len(ids["first"]) == len(raw_ids), why="pseudonyms changed under one key")
    scenario.record(
        ids["first"].isdisjoint(ids["rotated"]) and len(ids["rotated"]) == len(ids["first"]), why="a pseudonym survived rotation"
    )
    scenario.seconds = time.monotonic() - started
    scenario.assert_all_passed()
