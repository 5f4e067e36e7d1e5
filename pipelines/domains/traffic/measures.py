"""What a loop detector measures: every numeric column with a unit of `clean/traffic_readings`. Pure.

Speed, volume and occupancy are declared in code; a department that adds a measure to the dataset by YAML
(`datasets/`, `extends: traffic_readings`) gets it curated and forecast like them, labelled by its column name.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.lake.catalog import clean_dataset


@dataclass(frozen=True)
class Measure:
    """One measure of `clean/traffic_readings`."""

    column: str  # its column in clean/traffic_readings
    label: str  # how charts and reports name it
    zero_is_missing: bool  # speeds: a zero is no reading; volumes and occupancy: a zero is a quiet interval

    @property
    def unit(self) -> str:
        """The canonical unit, as the lake catalog declares it."""
        return clean_dataset("traffic_readings").column(self.column).unit or ""

    def labelled(self, what: str = "") -> str:
        """A chart or report label with the unit: 'speed (km/h)', 'MAE of volume (veh/h)'."""
        return f"{what + ' of ' if what else ''}{self.label} ({self.unit})"


KNOWN: dict[str, Measure] = {
    m.column: m
    for m in (
        Measure("speed_kmh", "speed", zero_is_missing=True),
        Measure("volume_veh_h", "volume", zero_is_missing=False),
        Measure("occupancy_pct", "occupancy", zero_is_missing=False),
    )
}


def measures() -> dict[str, Measure]:
    """Every measure `clean/traffic_readings` declares, by column, in declaration order."""
    declared = [c for c in clean_dataset("traffic_readings").columns if c.unit and c.type == "float"]
    return {c.name: KNOWN.get(c.name) or Measure(c.name, c.name.replace("_", " "), zero_is_missing=False) for c in declared}


def get_measure(name: str) -> Measure:
    """A measure by its column name, with the known ones when it is not one."""
    found = measures()
    try:
        return found[name]
    except KeyError:
        raise ValueError(f"unknown traffic measure {name!r}; known: {', '.join(found)}") from None
