"""Association rules from exact itemset counts: support, confidence, lift, conviction, with constraints. Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from pipelines.domains.public_safety.itemsets import Itemset

RULE_COLUMNS = [
    "antecedent",
    "consequent",
    "antecedent_size",
    "count",
    "antecedent_count",
    "consequent_count",
    "support",
    "confidence",
    "lift",
    "conviction",
    "improvement",
]


@dataclass(frozen=True)
class RuleParams:
    """Which rules are worth reporting."""

    min_confidence: float = 0.5
    min_lift: float = 1.2
    max_consequent: int = 1
    # a longer antecedent must raise confidence by this much over every shorter one (Bayardo et al. 1999):
    # without it, every planted rule comes back padded with each unrelated attribute of the case
    min_improvement: float = 0.05
    # ... and by more than this many standard errors of the confidence: at a few hundred cases, chance alone
    # moves a confidence by 0.05
    min_improvement_z: float = 3.0

    def __post_init__(self) -> None:
        if not 0 < self.min_confidence <= 1:
            raise ValueError(f"min_confidence must be in (0, 1], not {self.min_confidence}")
        if self.max_consequent < 1:
            raise ValueError(f"max_consequent must be at least 1, not {self.max_consequent}")


def association_rules(
    itemsets: Mapping[Itemset, int],
    n_baskets: int,
    labels: Sequence[str],
    consequent_allowed: Callable[[str], bool],
    params: RuleParams,
) -> pd.DataFrame:
    """Every rule A -> C with A and C disjoint, A | C frequent, C made only of allowed items, above the thresholds.

    Counts come from the exact itemsets (every subset of a frequent itemset is frequent, so every count
    needed is there). conviction = (1 - support(C)) / (1 - confidence), infinite when confidence is 1.
    """
    rows = []
    for itemset, count in itemsets.items():
        if len(itemset) < 2:
            continue
        for size in range(1, min(params.max_consequent, len(itemset) - 1) + 1):
            for consequent in combinations(itemset, size):
                if not all(consequent_allowed(labels[i]) for i in consequent):
                    continue
                antecedent = tuple(i for i in itemset if i not in consequent)
                if _repeats_an_attribute([labels[i] for i in antecedent]):
                    continue
                confidence = count / itemsets[antecedent]
                consequent_support = itemsets[consequent] / n_baskets
                lift = confidence / consequent_support
                if confidence < params.min_confidence or lift < params.min_lift:
                    continue
                improvement = confidence - _best_shorter(itemsets, antecedent, consequent, n_baskets)
                standard_error = np.sqrt(confidence * (1 - confidence) / itemsets[antecedent])
                if improvement < max(params.min_improvement, params.min_improvement_z * standard_error):
                    continue
                rows.append(
                    {
                        "antecedent": " & ".join(sorted(labels[i] for i in antecedent)),
                        "consequent": " & ".join(sorted(labels[i] for i in consequent)),
                        "antecedent_size": len(antecedent),
                        "count": count,
                        "antecedent_count": itemsets[antecedent],
                        "consequent_count": itemsets[consequent],
                        "support": count / n_baskets,
                        "confidence": confidence,
                        "lift": lift,
                        "conviction": np.inf if confidence >= 1 else (1 - consequent_support) / (1 - confidence),
                        "improvement": improvement,
                    }
                )
    frame = pd.DataFrame(rows, columns=RULE_COLUMNS)
    return frame.sort_values(
        ["lift", "confidence", "count", "antecedent", "consequent"], ascending=[False, False, False, True, True], kind="stable"
    ).reset_index(drop=True)


def _best_shorter(itemsets: Mapping[Itemset, int], antecedent: Itemset, consequent: Itemset, n_baskets: int) -> float:
    """The best confidence of the same consequent from any proper subset of the antecedent (the empty one included)."""
    best = itemsets[consequent] / n_baskets
    for size in range(1, len(antecedent)):
        for shorter in combinations(antecedent, size):
            joint = tuple(sorted((*shorter, *consequent)))
            best = max(best, itemsets[joint] / itemsets[shorter])
    return best


def _repeats_an_attribute(items: Sequence[str]) -> bool:
    """Two values of one attribute (two offenders' ages, say): a fact about multi-offender cases, not a rule."""
    attributes = [item.partition("=")[0] for item in items]
    return len(set(attributes)) < len(attributes)
