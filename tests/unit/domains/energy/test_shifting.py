"""Peak shaving by shifting load: the LP against a hand-worked optimum and the water-filling optimum."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.domains.energy import shifting, synthetic


def test_a_two_building_day_by_hand() -> None:
    # four slots; flexible load may move in the first three. Totals before: 5, 9, 5, 4 -> peak 9.
    fixed = np.array([[2.0, 4.0, 2.0, 3.0], [1.0, 1.0, 1.0, 1.0]])
    flexible = np.array([[1.0, 3.0, 1.0, 0.0], [1.0, 1.0, 1.0, 0.0]])
    window = np.array([True, True, True, False])
    plan = shifting.shift_load(fixed, flexible, window)
    # fixed in the window: 3, 5, 3; flexible energy 8 -> fill to (3 + 5 + 3 + 8) / 3 = 6.33 (above 5: all three slots)
    assert plan.peak_before == 9.0 and plan.peak_after == pytest.approx(19 / 3)
    assert shifting.water_filling_peak(fixed.sum(axis=0), flexible.sum(axis=0), window) == pytest.approx(19 / 3)
    np.testing.assert_allclose(plan.flexible_after.sum(axis=1), flexible.sum(axis=1))  # each building keeps its energy
    assert (plan.flexible_after >= -1e-9).all() and plan.flexible_after[:, 3].tolist() == [0.0, 0.0]
    assert plan.reduction_pct == pytest.approx(100 * (1 - (19 / 3) / 9))


def test_the_untouched_slots_bound_the_peak() -> None:
    fixed = np.array([[1.0, 1.0, 10.0]])
    flexible = np.array([[2.0, 0.0, 0.0]])
    plan = shifting.shift_load(fixed, flexible, np.array([True, True, False]))
    assert plan.peak_after == 10.0 == shifting.water_filling_peak(fixed[0], flexible[0], np.array([True, True, False]))


@pytest.mark.parametrize("buildings", [10, 60])
def test_the_solver_reaches_the_planted_optimum_on_the_synthetic_portfolio(buildings: int) -> None:
    _, types, fixed, flexible = synthetic.building_portfolio(buildings, seed=buildings)
    window = np.zeros(96, dtype=bool)
    window[6 * 4 : 22 * 4] = True  # flexible load may move between 06:00 and 22:00
    plan = shifting.shift_load(fixed, flexible, window)
    optimum = shifting.water_filling_peak(fixed.sum(axis=0), flexible.sum(axis=0), window)
    assert plan.peak_after == pytest.approx(optimum, rel=0.01) and plan.peak_after < plan.peak_before
    assert set(types) <= set(synthetic.BUILDING_TYPES)
    capped = shifting.shift_load(fixed, flexible, window, cap=1.2)  # at most 1.2 x a building's largest flexible load
    assert optimum - 1e-6 <= capped.peak_after <= plan.peak_before
    # with three times the flexible load, the filled level (not the fixed load's own peak) is the optimum
    flexible, fixed = 3 * flexible, fixed - 2 * flexible
    level_bound = shifting.shift_load(fixed, flexible, window)
    optimum = shifting.water_filling_peak(fixed.sum(axis=0), flexible.sum(axis=0), window)
    assert optimum > fixed.sum(axis=0)[window].max() + 1 and level_bound.peak_after == pytest.approx(optimum, rel=0.01)


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="buildings x slots"):
        shifting.shift_load(np.ones((2, 3)), np.ones((2, 4)), np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="must not be negative"):
        shifting.shift_load(np.ones((1, 2)), -np.ones((1, 2)), np.ones(2, dtype=bool))
