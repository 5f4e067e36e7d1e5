"""Rules from exact counts: every measure on a hand-made example, and the constraints."""

from __future__ import annotations

import math

import pytest

from pipelines.domains.public_safety.rules import RuleParams, association_rules

LABELS = ("case_type=fraud", "flight_after=yes", "offender_age=25-34", "offender_age=35-44", "district=D01")
# 100 baskets: fraud 20, flight 10, fraud & flight 8, age25-34 40, fraud & age25-34 16, flight & age 6, all three 5
ITEMSETS = {
    (0,): 20,
    (1,): 10,
    (2,): 40,
    (3,): 30,
    (4,): 50,
    (0, 1): 8,
    (0, 2): 16,
    (1, 2): 6,
    (0, 1, 2): 5,
    (2, 3): 10,
    (0, 3): 2,
    (3, 4): 15,
    (0, 4): 10,
    (2, 4): 20,
}


def test_measures_of_a_rule() -> None:
    rules = association_rules(
        ITEMSETS, 100, LABELS, lambda item: item.startswith("case_type="), RuleParams(0.5, 1.2, 1, 0.0, min_improvement_z=0.0)
    )
    flight_fraud = rules[(rules.antecedent == "flight_after=yes") & (rules.consequent == "case_type=fraud")].iloc[0]
    assert (flight_fraud["count"], flight_fraud["antecedent_count"], flight_fraud["consequent_count"]) == (8, 10, 20)
    assert math.isclose(flight_fraud["support"], 0.08) and math.isclose(flight_fraud["confidence"], 0.8)
    assert math.isclose(flight_fraud["lift"], 4.0) and math.isclose(flight_fraud["conviction"], (1 - 0.2) / (1 - 0.8))
    assert math.isclose(flight_fraud["improvement"], 0.8 - 0.2)


def test_constraints_thresholds_and_improvement() -> None:
    offender_or_type = lambda item: item.startswith(("offender_", "case_type="))  # noqa: E731
    rules = association_rules(ITEMSETS, 100, LABELS, offender_or_type, RuleParams(0.5, 1.2, 1, 0.05, min_improvement_z=0.0))
    assert rules[["antecedent", "consequent"]].values.tolist() == [
        ["flight_after=yes", "case_type=fraud"],
        ["case_type=fraud", "offender_age=25-34"],  # 16/20 = 0.8, lift 2.0
        ["flight_after=yes", "offender_age=25-34"],  # 6/10 = 0.6, lift 1.5
    ]
    # (flight & age25-34 -> fraud) = 5/6: improves on flight -> fraud (0.8) by 0.033 only: left out
    # district=D01 is never a consequent; age 25-34 & age 35-44 is never an antecedent
    significant = association_rules(ITEMSETS, 100, LABELS, offender_or_type, RuleParams(0.5, 1.2, 1, 0.05, min_improvement_z=3.0))
    # flight -> age 25-34 improves by 0.2 on 10 cases: within 3 standard errors (3 x 0.155) of chance
    assert significant[["antecedent", "consequent"]].values.tolist() == [
        ["flight_after=yes", "case_type=fraud"],
        ["case_type=fraud", "offender_age=25-34"],
    ]


def test_conviction_is_infinite_for_certain_rules_and_params_are_checked() -> None:
    rules = association_rules(
        {(0,): 5, (1,): 10, (0, 1): 5}, 20, LABELS, lambda _: True, RuleParams(0.9, 1.0, 1, 0.0, min_improvement_z=0.0)
    )
    certain = rules[rules.antecedent == "case_type=fraud"].iloc[0]
    assert certain["confidence"] == 1.0 and math.isinf(certain["conviction"])
    with pytest.raises(ValueError, match=r"min_confidence must be in \(0, 1\], not 1.5"):
        RuleParams(min_confidence=1.5)
