"""Multi-source fusion: reports from calls, sensors and social posts about the same incident become one incident.
Pure.

Two reports are about the same incident when they are at most `max_distance_m` apart (great-circle; candidates
from scikit-learn's BallTree on the haversine metric), at most `window_minutes` apart in time, and of compatible
types (the same incident type, or a report that says nothing of its type: `incident_types.csv` maps each channel's
vocabulary). Incidents are the connected groups of such pairs, built in time order with a guard: a report joins a
group only when it is compatible with the group's type and within the window of the group's first report, so that
a chain of near reports cannot stretch one incident over an afternoon. Every incident keeps the ids of its reports.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

EARTH_RADIUS_M = 6_371_008.8
ANY = "any"
INCIDENT_COLUMNS = [
    "incident_id",
    "incident_type",
    "first_report_utc",
    "last_report_utc",
    "latitude",
    "longitude",
    "reports",
    "channels",
    "report_ids",
    "max_severity",
    "timed_to",
]


@dataclass(frozen=True)
class FusionParams:
    """How close in space and time two reports of one incident are."""

    window_minutes: float = 20.0
    max_distance_m: float = 500.0

    def __post_init__(self) -> None:
        if self.window_minutes <= 0 or self.max_distance_m <= 0:
            raise ValueError(f"window_minutes and max_distance_m must be positive: {self}")


def incident_types(text: str | None = None) -> dict[tuple[str, str], str]:
    """(channel, category) -> incident type, from CITYLAKE_EMERGENCY_TYPES or the project's table."""
    if text is None:
        override = os.environ.get("CITYLAKE_EMERGENCY_TYPES")
        text = (
            Path(override).read_text(encoding="utf-8")
            if override
            else resources.files("pipelines.domains.emergency").joinpath("incident_types.csv").read_text(encoding="utf-8")
        )
    table = pd.read_csv(io.StringIO(text), comment="#", dtype=str, keep_default_na=False)
    return {(r.channel, r.category): r.incident_type for r in table.itertuples(index=False)}


def typed(reports: pd.DataFrame, types: dict[tuple[str, str], str]) -> pd.Series:
    """Each report's incident type (`any` for a category the table does not know: it is not lost, it fits all)."""
    return pd.Series([types.get((c, k), ANY) for c, k in zip(reports["channel"], reports["category"])], index=reports.index)


def candidate_pairs(lat: np.ndarray, lon: np.ndarray, max_distance_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i < j) of points within the distance, by a BallTree on the haversine metric."""
    from sklearn.neighbors import BallTree

    points = np.radians(np.column_stack([lat, lon]))
    tree = BallTree(points, metric="haversine")
    neighbours = tree.query_radius(points, r=max_distance_m / EARTH_RADIUS_M)
    left = np.repeat(np.arange(len(points)), [len(n) for n in neighbours])
    right = np.concatenate(neighbours) if len(neighbours) else np.empty(0, dtype=int)
    keep = left < right
    return left[keep], right[keep]


def fuse(reports: pd.DataFrame, types: dict[tuple[str, str], str], params: FusionParams) -> tuple[pd.DataFrame, pd.Series]:
    """Reports (report_id, ts_utc, channel, category, severity, latitude, longitude, and ts_precision if known) ->
    (incidents, each report's incident id). A report without a position, or whose time is only a day or an hour
    (`ts_precision`), stays an incident of its own: it cannot be matched within minutes."""
    frame = reports.sort_values(["ts_utc", "report_id"], kind="stable").reset_index(drop=True)
    kinds = typed(frame, types).to_numpy()
    located = frame["latitude"].notna() & frame["longitude"].notna()
    if "ts_precision" in frame.columns:
        located &= frame["ts_precision"].isin(["minute", "second"]) | frame["ts_precision"].isna()
    where = np.flatnonzero(located.to_numpy())
    neighbours: dict[int, list[int]] = {}
    if len(where) > 1:
        left, right = candidate_pairs(
            frame.loc[located, "latitude"].to_numpy(), frame.loc[located, "longitude"].to_numpy(), params.max_distance_m
        )
        for a, b in zip(where[left], where[right]):
            neighbours.setdefault(int(b), []).append(int(a))  # b comes later in time (sorted): look back from b
    times = frame["ts_utc"].to_numpy()
    window = np.timedelta64(int(params.window_minutes * 60), "s")
    group = np.arange(len(frame))
    group_start = times.copy()
    group_type = kinds.copy()
    for j in range(len(frame)):
        best = None
        for i in sorted(neighbours.get(j, []), key=lambda i: times[j] - times[i]):
            g = group[i]
            fits = group_type[g] == ANY or kinds[j] == ANY or group_type[g] == kinds[j]
            if fits and times[j] - group_start[g] <= window and times[j] - times[i] <= window:
                best = g
                break
        if best is not None:
            group[j] = best
            if group_type[best] == ANY:
                group_type[best] = kinds[j]
    precision = frame["ts_precision"] if "ts_precision" in frame.columns else pd.Series("second", index=frame.index)
    frame = frame.assign(group=group, incident_type=[group_type[g] for g in group], timed_to=precision.fillna("second"))
    first_ids = frame.groupby("group")["report_id"].transform("first")
    frame["incident_id"] = "INC-" + first_ids.astype(str)
    incidents = frame.groupby("incident_id", sort=False).agg(
        incident_type=("incident_type", "first"),
        first_report_utc=("ts_utc", "min"),
        last_report_utc=("ts_utc", "max"),
        latitude=("latitude", "mean"),
        longitude=("longitude", "mean"),
        reports=("report_id", "size"),
        channels=("channel", lambda c: ",".join(sorted(set(c)))),
        report_ids=("report_id", lambda r: ",".join(r)),
        max_severity=("severity", "max"),
        timed_to=("timed_to", "first"),
    )
    membership = frame.set_index("report_id")["incident_id"]
    return incidents.reset_index()[INCIDENT_COLUMNS], membership


def pairwise_scores(predicted: pd.Series, truth: pd.Series) -> tuple[float, float]:
    """Precision and recall of the pairs of reports put in one incident, against the true incidents (both indexed by
    report id)."""

    def pairs(labels: pd.Series) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for members in labels.groupby(labels).groups.values():
            ids = sorted(members)
            found.update((a, b) for k, a in enumerate(ids) for b in ids[k + 1 :])
        return found

    mine, real = pairs(predicted), pairs(truth.reindex(predicted.index))
    hits = len(mine & real)
    return (hits / len(mine) if mine else 1.0, hits / len(real) if real else 1.0)
