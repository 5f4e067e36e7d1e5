"""The nearest units and coverage by hand: distances north of an incident, only available units of the right kind,
the travel time at the stated speed, the share of a small grid reached in time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.emergency import resources
from pipelines.domains.emergency.fusion import EARTH_RADIUS_M

LAT, LON = 33.42, -111.94


def north(metres: float) -> float:
    return LAT + float(np.degrees(metres / EARTH_RADIUS_M))


def units() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_id": ["AMB-1", "AMB-2", "AMB-3", "FIR-1", "POL-1"],
            "kind": ["ambulance", "ambulance", "ambulance", "fire", "police"],
            "status": ["available", "dispatched", "available", "available", "available"],
            "latitude": [north(2000), north(100), north(1000), north(300), north(50)],
            "longitude": LON,
        }
    )


def test_the_nearest_available_units_of_the_kind_the_incident_needs() -> None:
    incident = pd.DataFrame({"incident_id": ["INC-a"], "incident_type": ["medical"], "latitude": [LAT], "longitude": [LON]})
    params = resources.ResourceParams(nearest=3, speed_kmh=40, detour=1.3)
    out = resources.nearest_units(incident, units(), params)
    # AMB-2 is nearer but dispatched; only two ambulances are available
    assert out["unit_id"].tolist() == ["AMB-3", "AMB-1"] and out["rank"].tolist() == [1, 2]
    assert out["distance_m"].round(3).tolist() == [1000.0, 2000.0]
    assert out["eta_minutes"].iloc[0] == pytest.approx(1000 * 1.3 / (40_000 / 60))  # 1.95 min
    fire = resources.nearest_units(incident.assign(incident_type="gas"), units(), params)
    assert fire["unit_id"].tolist() == ["FIR-1"]


def test_coverage_is_the_share_of_cells_reached_in_time() -> None:
    one = units().iloc[[4]]  # one police car at the centre of a 1 km square
    half = np.degrees(500 / EARTH_RADIUS_M)
    area = (LAT - half, LON - half / np.cos(np.radians(LAT)), LAT + half, LON + half / np.cos(np.radians(LAT)))
    # 250 m cells: 4 x 4 centres at 125 and 375 m from the middle on each axis; within 0.5 min at 60 km/h, no detour,
    # is 500 m: the 4 inner cells (177 m), the 8 edge cells (395 m) but not the 4 corners (530 m)
    params = resources.ResourceParams(speed_kmh=60, detour=1.0, minutes=0.5, grid_m=250)
    row = resources.coverage(one.assign(latitude=LAT), area, params).iloc[0]
    assert (row["unit_kind"], row["available_units"], row["cells"]) == ("police", 1, 16)
    assert row["covered_share"] == 12 / 16
    with pytest.raises(ValueError, match="detour >= 1"):
        resources.ResourceParams(detour=0.5)
