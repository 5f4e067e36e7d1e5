"""Statistical disclosure control for published health counts: small cells suppressed, and enough others beside them
that a suppressed cell cannot be worked out from the totals; k-anonymous row-level extracts. Pure.

**Tables** are counts of people by a row dimension (a day) and a column dimension (an age band, a clinic), published
with their row totals, column totals and grand total. A cell of 1 to k-1 people is suppressed (*primary*; k is a
parameter, 11 by default, the usual small-cell rule; a zero is shown: it discloses no one). A total under k is
suppressed too. Then, while a row or a column has exactly one suppressed cell and a published total, the next smallest
non-zero published cell of that row or column is suppressed as well (*complementary*), and the same for the totals
(the grand total and the row totals constrain the column of totals). One suppressed cell in a line with its total
would be the total minus the rest; two or more are not determined by that line. `recoverable` checks the result the way
an attacker would: every published total is a linear equation in the suppressed cells, and a cell is recovered when
its value follows from those equations.

**Extracts** (one row per person) are k-anonymous over their quasi-identifiers when every combination of them is
shared by at least k rows; rows in a smaller combination are left out (`k_anonymous`), and `singled_out` is the
attack: the rows whose quasi-identifiers match fewer than k rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

TOTAL = "total"


@dataclass(frozen=True)
class Suppressed:
    """A table with its margins (rows x columns, the last row and column the totals) and which cells are withheld."""

    counts: pd.DataFrame  # with a `total` row and a `total` column
    withheld: pd.DataFrame  # True where suppressed, same shape
    primary: pd.DataFrame  # True where suppressed for being small

    def published(self) -> pd.DataFrame:
        """The table as published: counts, NA where suppressed."""
        return self.counts.astype("Int64").mask(self.withheld)


def with_totals(table: pd.DataFrame) -> pd.DataFrame:
    """A table of counts with its row totals (column `total`) and column totals (row `total`)."""
    out = table.copy()
    out[TOTAL] = out.sum(axis=1)
    out.loc[TOTAL] = out.sum(axis=0)
    return out.astype("int64")


def suppress(table: pd.DataFrame, k: int = 11) -> Suppressed:
    """Primary and complementary suppression of a table of counts (no totals: they are added)."""
    if k < 2:
        raise ValueError(f"k must be at least 2, not {k}")
    counts = with_totals(table)
    values = counts.to_numpy()
    small = (values > 0) & (values < k)
    withheld = small.copy()
    changed = True
    while changed:
        changed = False
        for line in _lines(values.shape):
            cells = withheld[line]
            if cells.sum() == 1:  # the line's total and the rest would give it away
                candidates = np.where(~cells & (values[line] > 0), values[line], np.inf)
                candidates[-1] = np.inf  # the line's total is suppressed only as a last resort
                if np.isfinite(candidates).any():
                    pick = int(np.argmin(candidates))
                else:
                    pick = len(candidates) - 1
                index = _index(line, pick)
                withheld[index] = True
                changed = True
    frame = lambda a: pd.DataFrame(a, index=counts.index, columns=counts.columns)  # noqa: E731
    return Suppressed(counts, frame(withheld), frame(small))


def _lines(shape: tuple[int, int]) -> list[tuple]:
    """Every row and every column of a table with margins: each sums to its last cell."""
    rows, columns = shape
    return [(r, slice(None)) for r in range(rows)] + [(slice(None), c) for c in range(columns)]


def _index(line: tuple, position: int) -> tuple[int, int]:
    row, column = line
    return (row, position) if isinstance(row, int) else (position, column)


def recoverable(result: Suppressed) -> list[tuple[str, str]]:
    """The suppressed cells whose value follows from what is published (every row and column sums to its total):
    the attack on the totals. Empty when the suppression holds."""
    values = result.counts.to_numpy()
    hidden = [(int(r), int(c)) for r, c in np.argwhere(result.withheld.to_numpy())]
    position = {cell: i for i, cell in enumerate(hidden)}
    n_rows, n_columns = values.shape
    lines = [[(r, c) for c in range(n_columns)] for r in range(n_rows)]
    lines += [[(r, c) for r in range(n_rows)] for c in range(n_columns)]
    equations = []
    for *parts, total in lines:  # each line's cells sum to its last
        row = np.zeros(len(hidden))
        for cell in parts:
            if cell in position:
                row[position[cell]] += 1
        if total in position:
            row[position[total]] -= 1
        if row.any():
            equations.append(row)
    if not equations:
        return [(str(result.counts.index[r]), str(result.counts.columns[c])) for r, c in hidden]
    system = np.array(equations)
    # a cell follows from the equations when every solution of the homogeneous system leaves it at zero: its row of
    # the null space's basis is zero
    _, singular, vt = np.linalg.svd(system, full_matrices=True)
    rank = int((singular > 1e-9 * max(singular.max(), 1.0)).sum())
    null_space = vt[rank:].T  # hidden x (hidden - rank)
    determined = np.abs(null_space).max(axis=1, initial=0.0) < 1e-9
    return [(str(result.counts.index[r]), str(result.counts.columns[c])) for (r, c), known in zip(hidden, determined) if known]


def k_anonymous(rows: pd.DataFrame, quasi_identifiers: list[str], k: int = 11) -> pd.DataFrame:
    """The rows whose combination of quasi-identifiers at least k rows share (the others left out)."""
    if k < 2:
        raise ValueError(f"k must be at least 2, not {k}")
    size = rows.groupby(quasi_identifiers, dropna=False)[quasi_identifiers[0]].transform("size")
    return rows[size >= k].reset_index(drop=True)


def singled_out(extract: pd.DataFrame, quasi_identifiers: list[str], k: int = 11) -> pd.DataFrame:
    """The attack: the extract's rows an attacker who knows a person's quasi-identifiers narrows to fewer than k."""
    size = extract.groupby(quasi_identifiers, dropna=False)[quasi_identifiers[0]].transform("size")
    return extract[size < k]
