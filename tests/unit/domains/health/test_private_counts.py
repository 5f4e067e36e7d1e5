"""Differentially private daily counts: each person's contribution bounded, OpenDP's mechanism at the scale that
spends exactly the budget, noise of that scale, and the signals on the noisy counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.health import private_counts, signals


def test_each_persons_tests_are_bounded_to_their_first_few_by_day() -> None:
    tests = pd.DataFrame(
        {
            "subject_key": ["a", "a", "a", "a", "b", "a"],
            "pandemic_day": [5, 1, 3, 3, 2, 0],
            "result": ["positive", "negative", "negative", "positive", "positive", "negative"],
        }
    )
    kept = private_counts.bounded(tests, 2)
    assert kept.to_dict("list") == {
        "subject_key": ["a", "b", "a"],
        "pandemic_day": [1, 2, 0],
        "result": ["negative", "positive", "negative"],
    }
    assert len(private_counts.bounded(tests, 3)) == 4  # a's days 0, 1 and the first of day 3; b's one


@pytest.mark.parametrize(("sensitivity", "epsilon"), [(1, 1.0), (3, 0.5), (5, 2.0)])
def test_the_mechanism_spends_exactly_the_budget(sensitivity: int, epsilon: float) -> None:
    mechanism = private_counts.laplace(sensitivity, epsilon)
    assert mechanism.map(sensitivity) == pytest.approx(epsilon, rel=1e-9)
    assert mechanism.map(sensitivity + 1) > epsilon  # a person contributing more than the bound would break the budget


def test_the_noise_has_the_scale_the_budget_allows_and_the_release_is_clipped() -> None:
    days = 4_000
    tests = pd.DataFrame(
        {
            "subject_key": [f"p{i}" for i in range(days * 20)],
            "pandemic_day": np.repeat(np.arange(days), 20),
            "result": np.tile(["positive"] * 5 + ["negative"] * 15, days),
        }
    )
    released = private_counts.private_daily(tests, private_counts.PrivacyParams(epsilon=1.0, max_tests_per_person=2))
    assert list(released["pandemic_day"]) == list(range(days))
    assert set(released["noise_scale"]) == {4.0}  # 2 / (1.0 / 2)
    error = released["tests"] - 20
    # discrete Laplace of scale b: P(k) ~ q^|k| with q = exp(-1/b), so E|k| = 2q / (1 - q^2): 3.96 at b = 4
    # (the standard error over 4,000 days is about 0.06; clipping at 0 from 20 touches about 0.4 % of the days)
    q = np.exp(-1 / 4)
    assert abs(error.mean()) < 0.3 and error.abs().mean() == pytest.approx(2 * q / (1 - q**2), abs=0.25)
    assert (released["positives"] >= 0).all() and (released["positives"] <= released["tests"]).all()
    assert (released["positives"] == 0).any()  # 5 positives with noise of scale 4: some days clip at zero


def test_invalid_budgets_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^epsilon must be positive, not 0$"):
        private_counts.PrivacyParams(epsilon=0)
    with pytest.raises(ValueError, match=r"^max_tests_per_person must be at least 1, not 0$"):
        private_counts.PrivacyParams(epsilon=1, max_tests_per_person=0)


def test_signals_on_the_noisy_counts_and_their_agreement_with_the_true_ones() -> None:
    days = np.arange(30)
    counts = np.array([10] * 20 + [40] * 3 + [10] * 7)  # an outbreak on days 20-22
    private = pd.DataFrame({"pandemic_day": days, "tests": counts * 3, "positives": counts + np.tile([0, 1, -1], 10)})
    noisy = private_counts.private_signals(private)
    exact = signals.ears(pd.Series(counts, index=days, dtype=float)).rename_axis("pandemic_day").reset_index()
    assert noisy.loc[noisy["c2_signal"], "pandemic_day"].tolist()[:1] == [20]
    agreement = private_counts.signal_agreement(exact, noisy)
    assert set(agreement) == {"C1", "C2", "C3", "CUSUM"}
    c2_true = int(exact["c2_signal"].sum())
    c2_noisy = int(noisy["c2_signal"].sum())
    c2_both = int((exact["c2_signal"].to_numpy() & noisy["c2_signal"].to_numpy()).sum())
    assert agreement["C2"] == {"true": c2_true, "noisy": c2_noisy, "both": c2_both}
