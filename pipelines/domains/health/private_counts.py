"""Differentially private daily counts of tests and positives (OpenDP), and the outbreak signals computed on them.

The guarantee is about people, not tests: a person can be tested on many days, so each person's tests are first
bounded to their first `max_tests_per_person` (by day), which bounds how much one person can change the two daily
histograms (L1 sensitivity `max_tests_per_person` each). Each histogram then gets discrete Laplace noise from OpenDP's
`make_laplace`, at the scale its privacy map says spends half of `epsilon`; the two releases compose to `epsilon`.
Clipping at zero and keeping positives at most the tests is post-processing and spends nothing.

What is not private here: the range of pandemic days (the release covers every day from the data's first to its last).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.domains.health import signals


@dataclass(frozen=True)
class PrivacyParams:
    """The privacy budget of one release, and the bound on one person's contribution."""

    epsilon: float
    max_tests_per_person: int = 3

    def __post_init__(self) -> None:
        if not self.epsilon > 0:
            raise ValueError(f"epsilon must be positive, not {self.epsilon}")
        if self.max_tests_per_person < 1:
            raise ValueError(f"max_tests_per_person must be at least 1, not {self.max_tests_per_person}")


def bounded(tests: pd.DataFrame, max_tests_per_person: int) -> pd.DataFrame:
    """Each person's first `max_tests_per_person` tests by day (ties by position in the frame); the rest dropped."""
    ordered = tests.reset_index(drop=True).sort_values(["pandemic_day"], kind="stable")
    return ordered[ordered.groupby("subject_key").cumcount() < max_tests_per_person].sort_index()


def laplace(sensitivity: int, epsilon: float):  # -> opendp Measurement
    """OpenDP's discrete Laplace mechanism on a vector of counts, at the scale that spends `epsilon` when one person
    changes the vector by `sensitivity` in L1 (checked against its privacy map)."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    measurement = dp.m.make_laplace(dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=sensitivity / epsilon)
    spent = measurement.map(sensitivity)
    if spent > epsilon * (1 + 1e-9):
        raise ValueError(f"the Laplace mechanism spends {spent} > epsilon {epsilon}")
    return measurement


def true_daily(tests: pd.DataFrame, days: range) -> pd.DataFrame:
    """Tests and positives per day over `days` (zeros included)."""
    counts = pd.DataFrame(
        {
            "tests": tests.groupby("pandemic_day").size(),
            "positives": tests[tests["result"] == "positive"].groupby("pandemic_day").size(),
        }
    )
    return counts.reindex(days, fill_value=0).fillna(0).astype(int).rename_axis("pandemic_day")


def private_daily(tests: pd.DataFrame, params: PrivacyParams) -> pd.DataFrame:
    """Per pandemic day: noisy tests and positives of the bounded tests, the mechanism's scale and the budget."""
    days = range(int(tests["pandemic_day"].min()), int(tests["pandemic_day"].max()) + 1)
    counts = true_daily(bounded(tests, params.max_tests_per_person), days)
    mechanism = laplace(params.max_tests_per_person, params.epsilon / 2)
    noisy_tests = np.clip(np.asarray(mechanism(counts["tests"].tolist())), 0, None)
    noisy_positives = np.minimum(np.clip(np.asarray(mechanism(counts["positives"].tolist())), 0, None), noisy_tests)
    return pd.DataFrame(
        {
            "pandemic_day": list(days),
            "tests": noisy_tests.astype("int64"),
            "positives": noisy_positives.astype("int64"),
            "epsilon": params.epsilon,
            "max_tests_per_person": params.max_tests_per_person,
            "noise_scale": params.max_tests_per_person / (params.epsilon / 2),
        }
    )


def private_signals(private: pd.DataFrame, params: signals.SignalParams | None = None) -> pd.DataFrame:
    """The EARS and CUSUM signals on the noisy positives (post-processing: no further budget)."""
    counts = private.set_index("pandemic_day")["positives"].astype(float)
    flagged = signals.ears(counts, params).rename_axis("pandemic_day").reset_index().drop(columns="count")
    return private.merge(flagged, on="pandemic_day")


def signal_agreement(true_flags: pd.DataFrame, noisy_flags: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Per method: days signalled on the true counts, on the noisy ones, and on both (the noise's effect on the
    signals; an internal figure, kept in the run record, not published)."""
    merged = true_flags.merge(noisy_flags, on="pandemic_day", suffixes=("_true", "_noisy"))
    out = {}
    for method in signals.METHODS:
        column = f"{method.lower()}_signal"
        on_true, on_noisy = merged[f"{column}_true"].astype(bool), merged[f"{column}_noisy"].astype(bool)
        out[method] = {"true": int(on_true.sum()), "noisy": int(on_noisy.sum()), "both": int((on_true & on_noisy).sum())}
    return out
