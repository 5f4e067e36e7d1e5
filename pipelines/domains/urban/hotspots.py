"""Space-time hotspots of city-management cases: per week, the Getis-Ord Gi* statistic of every grid cell's count
over its 3 x 3 neighbourhood. Pure.

Cells are the clean zone's `grid_cell` ids (`<size in degrees>:<row>:<col>`). Per week, the counts are laid on the
dense grid of the cells' bounding box (every cell there counts, zeros included: n is the box's cell count), and

    Gi*_i = (sum_j w_ij x_j - mean * W_i) / (s * sqrt((n * W_i - W_i^2) / (n - 1)))

with binary weights w_ij = 1 for the cell and its eight neighbours (W_i of them inside the box), mean and s the
week's mean and standard deviation over all n cells (Getis & Ord 1992; Ord & Getis 1995). Counts of cases are
sparse, so a z-score alone flags any pair of cases that happen to fall near each other; a hotspot is a cell whose
Gi* reaches `z_min` *and* whose own count reaches `min_cases`, and neighbouring hotspot cells of a week are one
hotspot (its peak cell named).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage

HOTSPOT_COLUMNS = [
    "week_start",
    "hotspot_id",
    "peak_cell",
    "cells",
    "cases",
    "peak_cases",
    "peak_gi_z",
    "latitude",
    "longitude",
    "district",
]


@dataclass(frozen=True)
class HotspotParams:
    """When a cell-week is a hotspot."""

    z_min: float = 3.29  # two-sided p < 0.001 for one test
    min_cases: int = 5

    def __post_init__(self) -> None:
        if self.z_min <= 0 or self.min_cases < 1:
            raise ValueError(f"need z_min > 0 and min_cases >= 1: {self}")


def parse_cells(cells: pd.Series) -> pd.DataFrame:
    """`<size>:<row>:<col>` ids as size (degrees), row and col."""
    parts = cells.str.split(":", expand=True)
    return pd.DataFrame({"size": parts[0].astype(float), "row": parts[1].astype(int), "col": parts[2].astype(int)})


def gi_star(counts: np.ndarray) -> np.ndarray:
    """Gi* z-scores of a dense grid of counts over each cell's 3 x 3 neighbourhood (the cell included)."""
    grid = np.asarray(counts, dtype=np.float64)
    n = grid.size
    kernel = np.ones((3, 3))
    window = ndimage.convolve(grid, kernel, mode="constant", cval=0.0)
    weights = ndimage.convolve(np.ones_like(grid), kernel, mode="constant", cval=0.0)
    mean = grid.mean()
    spread = np.sqrt(max((grid**2).mean() - mean**2, 0.0))
    if spread == 0 or n < 2:
        return np.zeros_like(grid)
    return (window - mean * weights) / (spread * np.sqrt((n * weights - weights**2) / (n - 1)))


def weekly_hotspots(cases: pd.DataFrame, params: HotspotParams) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cases (case_id, week_start, grid_cell, latitude, longitude, district) -> (every cell-week with cases and its
    Gi* z, the hotspots: neighbouring flagged cells of a week joined)."""
    located = cases.dropna(subset=["grid_cell"])
    if located.empty:
        return pd.DataFrame(columns=["week_start", "grid_cell", "cases", "gi_z"]), pd.DataFrame(columns=HOTSPOT_COLUMNS)
    cells = parse_cells(located["grid_cell"])
    if cells["size"].nunique() != 1:
        raise ValueError(f"cases on grids of different sizes {sorted(cells['size'].unique())}: one grid per analysis")
    located = located.assign(row=cells["row"].to_numpy(), col=cells["col"].to_numpy())
    row0, col0 = located["row"].min(), located["col"].min()
    shape = (located["row"].max() - row0 + 1, located["col"].max() - col0 + 1)
    scored, found = [], []
    for week, rows in located.groupby("week_start", sort=True):
        grid = np.zeros(shape)
        np.add.at(grid, (rows["row"].to_numpy() - row0, rows["col"].to_numpy() - col0), 1)
        z = gi_star(grid)
        per_cell = rows.groupby(["grid_cell", "row", "col"], as_index=False).agg(cases=("case_id", "size"))
        per_cell = per_cell.assign(week_start=week, gi_z=z[per_cell["row"] - row0, per_cell["col"] - col0])
        scored.append(per_cell)
        flagged = np.zeros(shape, dtype=bool)
        hot = per_cell[(per_cell["gi_z"] >= params.z_min) & (per_cell["cases"] >= params.min_cases)]
        flagged[hot["row"] - row0, hot["col"] - col0] = True
        labels, _ = ndimage.label(flagged, structure=np.ones((3, 3)))
        hot = hot.assign(label=labels[hot["row"] - row0, hot["col"] - col0])
        for _, members in hot.groupby("label", sort=True):
            peak = members.sort_values(["cases", "gi_z"], ascending=False).iloc[0]
            inside = rows[rows["grid_cell"].isin(members["grid_cell"])]
            found.append(
                {
                    "week_start": week,
                    "hotspot_id": f"{pd.Timestamp(week):%Y-%m-%d}/{peak['grid_cell']}",
                    "peak_cell": peak["grid_cell"],
                    "cells": len(members),
                    "cases": len(inside),
                    "peak_cases": int(peak["cases"]),
                    "peak_gi_z": float(peak["gi_z"]),
                    "latitude": float(inside["latitude"].mean()),
                    "longitude": float(inside["longitude"].mean()),
                    "district": inside["district"].mode().iloc[0] if inside["district"].notna().any() else None,
                }
            )
    cells_scored = pd.concat(scored, ignore_index=True)[["week_start", "grid_cell", "cases", "gi_z"]]
    return cells_scored, pd.DataFrame(found, columns=HOTSPOT_COLUMNS)
