"""Health tests, clean -> curated: the testing statistics with small cells withheld (`health_testing_daily`) and the
outbreak signals (`health_signals`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipelines.config import Settings
from pipelines.domains.health import private_counts, testing
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.health import HEALTH_PRIVATE_DAILY, HEALTH_SIGNALS, HEALTH_TESTING_DAILY
from pipelines.lake.runs import idempotency_key, write_run_record
from pipelines.lake.storage import Lake

PIPELINE = "health_marts"
TESTS = clean_dataset("health_tests")
COLUMNS = ["subject_key", "pandemic_day", "age_years", "clinic", "payor_group", "result"]


def build(
    settings: Settings,
    run_id: str,
    params: testing.HealthParams | None = None,
    privacy: private_counts.PrivacyParams | None = None,
) -> dict[str, Any]:
    """Publish the marts from the clean tests (the differentially private one when `privacy` is given); a summary
    (no count under k in it)."""
    params = params or testing.HealthParams()
    lake = Lake(settings)
    version = lake.require(TESTS, "run the health feed's clean DAG first (e.g. health_covid_testing_clean)")
    tests = lake.read(TESTS, version=version, columns=COLUMNS)
    daily = testing.daily(tests, params)
    flagged = testing.daily_signals(tests, params)
    key = idempotency_key(PIPELINE, version, repr(params))
    lake.publish(HEALTH_TESTING_DAILY, daily.assign(run_id=run_id), None, run_id, f"{key}-daily")
    lake.publish(HEALTH_SIGNALS, flagged.assign(run_id=run_id), None, run_id, f"{key}-signals")
    result = {
        "input_version": version,
        "k": params.k,
        "cells": {d: int((daily["dimension"] == d).sum()) for d in testing.DIMENSIONS},
        "tests_withheld": {d: int(daily.loc[daily["dimension"] == d, "tests_withheld"].sum()) for d in testing.DIMENSIONS},
        "signal_days": {m: int(flagged[f"{m.lower()}_signal"].sum()) for m in ("C1", "C2", "C3", "CUSUM")},
    }
    if privacy is not None:
        result["private"] = publish_private(lake, tests, flagged, params, privacy, run_id, key)
    write_run_record(lake, PIPELINE, run_id, result)
    return result


def publish_private(
    lake: Lake,
    tests: pd.DataFrame,
    exact: pd.DataFrame,
    params: testing.HealthParams,
    privacy: private_counts.PrivacyParams,
    run_id: str,
    key: str,
) -> dict[str, Any]:
    """Publish the noisy daily counts and their signals; what the noise did to the signals against the `exact` ones
    (health_signals' rows, whose flags are on the full counts), for the run record."""
    noisy = private_counts.private_signals(private_counts.private_daily(tests, privacy), params.signal_params)
    published = lake.publish(
        HEALTH_PRIVATE_DAILY,
        noisy.assign(run_id=run_id),
        None,
        run_id,
        f"{key}-private-{privacy.epsilon!r}-{privacy.max_tests_per_person}",
    )
    return {
        "epsilon": privacy.epsilon,
        "max_tests_per_person": privacy.max_tests_per_person,
        "noise_scale": float(noisy["noise_scale"].iloc[0]),
        "republished": not published.skipped_as_duplicate,
        "signal_days_true_noisy_both": private_counts.signal_agreement(exact, noisy),
    }
