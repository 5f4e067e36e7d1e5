"""What a person reads after the urban marts are built: the hotspots (and, against a SYNTHETIC truth, how many of
the planted ones came out), each department's on-time disposal, and the places where problems come back."""

from __future__ import annotations

from pipelines.config import Settings
from pipelines.domains.urban.synthetic import UrbanTruth
from pipelines.lake.catalog.urban import URBAN_HOTSPOTS, URBAN_KPIS, URBAN_RECURRENCE
from pipelines.lake.storage import Lake


def recovery(found: set[tuple[object, str]], planted: set[tuple[object, str]]) -> tuple[float, float]:
    """Precision and recall of detected (week, peak cell) pairs against the planted ones."""
    hits = len(found & planted)
    return (hits / len(found) if found else float("nan"), hits / len(planted) if planted else float("nan"))


def results_text(settings: Settings, truth: UrbanTruth | None = None) -> str:
    """The urban marts' figures as text; with the generator's truth, the hotspots' precision and recall."""
    lake = Lake(settings)
    if not lake.has(URBAN_KPIS):
        return "No urban mart is built yet."
    lines = []
    found = lake.read(URBAN_HOTSPOTS).sort_values(["week_start", "peak_gi_z"], ascending=[True, False])
    lines += [
        f"Hotspots of city-management cases (Getis-Ord Gi* by ~100 m cell and week): {len(found)}",
        found[["week_start", "peak_cell", "district", "cells", "cases", "peak_gi_z"]].round(1).to_string(index=False)
        if len(found)
        else "  none",
    ]
    if truth is not None:
        planted = {(week.date(), cell) for week, cell in truth.hotspots}
        precision, recall = recovery({(r.week_start, r.peak_cell) for r in found.itertuples()}, planted)
        lines.append(f"  against the {len(planted)} planted (SYNTHETIC): precision {precision:.2f}, recall {recall:.2f}")
    kpi = lake.read(URBAN_KPIS)
    by = kpi.groupby("department").agg(
        cases=("cases", "sum"), judged=("judged", "sum"), on_time=("on_time", "sum"), reopened=("reopened", "sum")
    )
    medians = kpi.groupby("department")["median_dispose_hours"].median()
    table = by.assign(
        on_time_rate=(by["on_time"] / by["judged"]).round(3),
        reopen_rate=(by["reopened"] / by["cases"]).round(3),
        median_dispose_hours=medians.round(1),
    ).sort_values("on_time_rate")
    lines += ["", "On-time disposal by department (against each class's deadline):", table.to_string()]
    again = lake.read(URBAN_RECURRENCE)
    if len(again):
        top = (
            again.groupby(["grid_cell", "kind", "class_code", "district"], dropna=False)
            .agg(repeats=("case_id", "size"), longest_run=("occurrence", "max"))
            .sort_values(["longest_run", "repeats"], ascending=False)
            .head(8)
            .reset_index()
        )
        lines += ["", f"Problems that come back ({len(again)} repeats; the longest runs):", top.to_string(index=False)]
    return "\n".join(lines)
