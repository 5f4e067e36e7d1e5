"""Peak shaving by shifting load: move each building's flexible share within a window so that the group's peak is
lowest, as a linear program solved by HiGHS (SciPy). Pure.

For buildings b and slots t: the fixed load F[b, t] stays; the flexible load f[b, t] may be moved to x[b, t] >= 0
inside the window (the slots `window` marks), keeping each building's flexible energy in the window, and at most
`cap` x its largest flexible load per slot when a cap is given; outside the window it stays. Minimise P subject to
sum_b (F[b, t] + x[b, t]) <= P for every t. The group's optimum does not depend on how a building's share is
split, so the solution's split is one of many; the peak is the answer.

`water_filling_peak` gives the optimum without a solver when no cap binds: the window's slots are filled up to a
level L with sum_t max(0, L - F_t) = E (E the flexible energy in the window), and the peak is the largest of L,
the fixed load's own peak in the window and the highest load outside it. The tests and the benchmark compare the LP with it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import optimize, sparse


@dataclass(frozen=True)
class ShiftPlan:
    """The LP's answer: the flexible load after shifting, and the group's peak before and after."""

    flexible_after: np.ndarray  # buildings x slots
    peak_before: float
    peak_after: float
    seconds: float
    status: str

    @property
    def reduction_pct(self) -> float:
        return 100 * (1 - self.peak_after / self.peak_before) if self.peak_before > 0 else 0.0


def shift_load(fixed: np.ndarray, flexible: np.ndarray, window: np.ndarray, cap: float | None = None) -> ShiftPlan:
    """Solve the peak-shaving LP (fixed, flexible: buildings x slots, kW; window: slots where flexible load may move)."""
    fixed, flexible = np.asarray(fixed, dtype=np.float64), np.asarray(flexible, dtype=np.float64)
    window = np.asarray(window, dtype=bool)
    if fixed.shape != flexible.shape or fixed.ndim != 2 or window.shape != (fixed.shape[1],):
        raise ValueError(
            f"fixed and flexible must be buildings x slots and window one flag per slot: {fixed.shape}, {flexible.shape}, {window.shape}"
        )
    if (fixed < 0).any() or (flexible < 0).any():
        raise ValueError("loads must not be negative")
    inside = np.flatnonzero(window)
    n, k = fixed.shape[0], len(inside)
    before = fixed + flexible
    peak_before = float(before.sum(axis=0).max())
    if k == 0 or not flexible[:, inside].any():
        return ShiftPlan(flexible.copy(), peak_before, peak_before, 0.0, "nothing to move")
    started = time.perf_counter()
    # variables: x[b, j] for the window's slots j (row-major), then P
    c = np.zeros(n * k + 1)
    c[-1] = 1.0
    # peak rows (window slots): sum_b x[b, j] - P <= -sum_b F[b, inside[j]]
    cols = np.arange(n * k)
    peak_rows = sparse.csr_matrix((np.ones(n * k), (cols % k, cols)), shape=(k, n * k + 1))
    peak_rows = sparse.hstack([peak_rows[:, :-1], sparse.csr_matrix(-np.ones((k, 1)))]).tocsr()
    b_ub = -fixed[:, inside].sum(axis=0)
    # energy rows: sum_j x[b, j] = sum_j f[b, inside[j]]
    energy = sparse.csr_matrix((np.ones(n * k), (cols // k, cols)), shape=(n, n * k + 1))
    b_eq = flexible[:, inside].sum(axis=1)
    upper = np.full(n * k + 1, np.inf)
    if cap is not None:
        upper[:-1] = np.repeat(cap * flexible.max(axis=1), k)
    outside_peak = float(before[:, ~window].sum(axis=0).max()) if (~window).any() else 0.0
    bounds = np.column_stack([np.r_[np.zeros(n * k), outside_peak], upper])  # P at least the untouched slots' peak
    result = optimize.linprog(c, A_ub=peak_rows, b_ub=b_ub, A_eq=energy, b_eq=b_eq, bounds=bounds, method="highs")
    seconds = time.perf_counter() - started
    if result.status != 0:
        raise RuntimeError(f"the load-shifting LP failed: {result.message}")
    after = flexible.copy()
    after[:, inside] = result.x[:-1].reshape(n, k)
    peak_after = float((fixed + after).sum(axis=0).max())
    return ShiftPlan(after, peak_before, peak_after, seconds, "optimal")


def water_filling_peak(fixed_total: np.ndarray, flexible_total: np.ndarray, window: np.ndarray) -> float:
    """The lowest group peak when the window's flexible energy may go anywhere in the window, without caps."""
    window = np.asarray(window, dtype=bool)
    base = np.asarray(fixed_total, dtype=np.float64)[window]
    energy = float(np.asarray(flexible_total)[window].sum())
    outside = float((np.asarray(fixed_total) + np.asarray(flexible_total))[~window].max()) if (~window).any() else 0.0
    levels = np.sort(base)
    for i in range(1, len(levels) + 1):  # fill the i lowest slots up to the next level
        level = (energy + levels[:i].sum()) / i
        if i == len(levels) or level <= levels[i]:
            return max(level, float(levels[-1]), outside)  # the fixed load's own peak is not shaved
    raise AssertionError("unreachable")
