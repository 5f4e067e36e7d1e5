"""The nearest available units for each open incident, and how much of the city they reach in time. Pure.

Units (ambulance, fire engine, police car) have a position and a status from the fleet system; only `available`
ones count. Distances are great-circle (scikit-learn's BallTree on the haversine metric); the travel time assumes a
stated speed over a road distance `detour` times the straight line (1.3: a grid of streets), which is an estimate,
not routing. Coverage lays a grid over the city and counts the cells whose nearest available unit of a kind is
within `minutes`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.domains.emergency.fusion import EARTH_RADIUS_M

KIND_FOR = {"fire": "fire", "medical": "ambulance", "traffic": "police", "gas": "fire", "flood": "fire", "any": "police"}
RESOURCE_COLUMNS = ["incident_id", "incident_type", "unit_kind", "rank", "unit_id", "distance_m", "eta_minutes"]


@dataclass(frozen=True)
class ResourceParams:
    """How many units per incident and kind, how units travel, what counts as open and as covered."""

    nearest: int = 3
    speed_kmh: float = 40.0
    detour: float = 1.3
    open_hours: float = 2.0  # an incident whose last report is this recent is open
    minutes: float = 8.0  # coverage: reached within this many minutes
    grid_m: float = 250.0

    def __post_init__(self) -> None:
        if self.nearest < 1 or self.speed_kmh <= 0 or self.detour < 1 or self.minutes <= 0 or self.grid_m <= 0:
            raise ValueError(f"need nearest >= 1, speed_kmh > 0, detour >= 1, minutes > 0, grid_m > 0: {self}")

    def eta_minutes(self, distance_m: np.ndarray) -> np.ndarray:
        return distance_m * self.detour / (self.speed_kmh * 1000 / 60)


def _tree(lat: np.ndarray, lon: np.ndarray):
    from sklearn.neighbors import BallTree

    return BallTree(np.radians(np.column_stack([lat, lon])), metric="haversine")


def nearest_units(incidents: pd.DataFrame, units: pd.DataFrame, params: ResourceParams) -> pd.DataFrame:
    """Per open incident (incident_id, incident_type, latitude, longitude) the `nearest` available units of the kind
    its type needs (units: unit_id, kind, status, latitude, longitude), nearest first."""
    available = units[units["status"] == "available"]
    frames = []
    for kind, fleet in available.groupby("kind", sort=True):
        needing = incidents[incidents["incident_type"].map(KIND_FOR).fillna("police") == kind]
        if needing.empty:
            continue
        k = min(params.nearest, len(fleet))
        distances, index = _tree(fleet["latitude"].to_numpy(), fleet["longitude"].to_numpy()).query(
            np.radians(needing[["latitude", "longitude"]].to_numpy()), k=k
        )
        metres = distances * EARTH_RADIUS_M
        frames.append(
            pd.DataFrame(
                {
                    "incident_id": np.repeat(needing["incident_id"].to_numpy(), k),
                    "incident_type": np.repeat(needing["incident_type"].to_numpy(), k),
                    "unit_kind": kind,
                    "rank": np.tile(np.arange(1, k + 1), len(needing)),
                    "unit_id": fleet["unit_id"].to_numpy()[index.reshape(-1)],
                    "distance_m": metres.reshape(-1),
                    "eta_minutes": params.eta_minutes(metres.reshape(-1)),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=RESOURCE_COLUMNS)
    return pd.concat(frames, ignore_index=True).sort_values(["incident_id", "unit_kind", "rank"]).reset_index(drop=True)


def coverage(units: pd.DataFrame, area: tuple[float, float, float, float], params: ResourceParams) -> pd.DataFrame:
    """Per unit kind: the share of the area's grid cells (centres every `grid_m`) whose nearest available unit is
    within `minutes`; area is (min lat, min lon, max lat, max lon)."""
    lo_lat, lo_lon, hi_lat, hi_lon = area
    step_lat = np.degrees(params.grid_m / EARTH_RADIUS_M)
    step_lon = step_lat / np.cos(np.radians((lo_lat + hi_lat) / 2))
    lats, lons = np.meshgrid(
        np.arange(lo_lat + step_lat / 2, hi_lat, step_lat), np.arange(lo_lon + step_lon / 2, hi_lon, step_lon)
    )
    centres = np.radians(np.column_stack([lats.reshape(-1), lons.reshape(-1)]))
    rows = []
    for kind, fleet in units[units["status"] == "available"].groupby("kind", sort=True):
        distance, _ = _tree(fleet["latitude"].to_numpy(), fleet["longitude"].to_numpy()).query(centres, k=1)
        reached = params.eta_minutes(distance[:, 0] * EARTH_RADIUS_M) <= params.minutes
        rows.append(
            {
                "unit_kind": kind,
                "available_units": len(fleet),
                "minutes": params.minutes,
                "speed_kmh": params.speed_kmh,
                "cells": len(centres),
                "covered_share": float(reached.mean()),
            }
        )
    return pd.DataFrame(rows, columns=["unit_kind", "available_units", "minutes", "speed_kmh", "cells", "covered_share"])
