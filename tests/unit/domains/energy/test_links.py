"""Correlations with lags and honest intervals; use against heating degree-days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.energy import links


def test_a_lagged_copy_is_found_at_its_lag() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(0, 1, 200)
    b = np.r_[np.zeros(2), a[:-2]] * 3 + 1  # b follows a by two steps
    found = links.pair_links(pd.DataFrame({"a": a, "b": b}), ["a", "b"], max_lag=4).set_index("kind")
    assert found.loc["best_lag", "lag_steps"] == 2 and found.loc["best_lag", "r"] == pytest.approx(1.0)
    assert (found.loc["best_lag", "slope"], found.loc["best_lag", "intercept"]) == (pytest.approx(3.0), pytest.approx(1.0))
    assert abs(found.loc["lag0", "r"]) < 0.2 and found.loc["lag0", "n"] == 200


def test_the_interval_is_fishers_on_the_effective_sample_size() -> None:
    rng = np.random.default_rng(5)
    a = rng.normal(0, 1, 103)
    b = 0.5 * a + rng.normal(0, 1, 103)
    got = links.pearson(a, b)
    z, se = np.arctanh(got["r"]), 1 / np.sqrt(100)  # n - 3 = 100 when the series are independent in time
    assert (got["ci_low"], got["ci_high"]) == (
        pytest.approx(np.tanh(z - 1.96 * se), abs=1e-4),
        pytest.approx(np.tanh(z + 1.96 * se), abs=1e-4),
    )
    slow = links.pearson(a, b, (0.8, 0.8))  # strongly autocorrelated: n_eff = 103 x 0.36 / 1.64
    assert (
        slow["n_effective"] == pytest.approx(103 * 0.36 / 1.64)
        and slow["ci_high"] - slow["ci_low"] > got["ci_high"] - got["ci_low"]
    )
    assert np.isnan(links.pearson(np.ones(10), np.arange(10.0))["r"])  # a constant series has no correlation


def test_heating_degree_days_by_hand() -> None:
    days = pd.Series([30, 31, 28])
    assert links.heating_degree_days(pd.Series([8.0, 20.0, -2.0]), days).tolist() == [300.0, 0.0, 560.0]
    use = pd.Series([5 + 2 * h for h in (10.0, 0.0, 20.0, 4.0, 13.0)])  # 2 kWh per degree-day on 5 kWh a day
    fit = links.degree_day_link(use, 18 - pd.Series([10.0, 0.0, 20.0, 4.0, 13.0]))
    assert (fit["slope"], fit["intercept"], fit["r"]) == (pytest.approx(2.0), pytest.approx(5.0), pytest.approx(1.0))
