"""What a person reads after the indicators and the brief are made: the headlines as a table, and where the brief is."""

from __future__ import annotations

import pandas as pd

from pipelines.config import Settings
from pipelines.domains.egov import brief
from pipelines.lake.catalog.egov import CITY_INDICATORS
from pipelines.lake.storage import Lake


def results_text(settings: Settings) -> str:
    """The brief's headlines (each indicator's latest complete period) and what is not current, as text."""
    lake = Lake(settings)
    if not lake.has(CITY_INDICATORS):
        return "No indicators are computed yet: run the egov_city_indicators DAG."
    heads = brief.headlines(lake.read(CITY_INDICATORS))
    table = heads.assign(
        value=[brief.number(v, u) for v, u in zip(heads["value"], heads["unit"])],
        target=[brief.number(v, u) for v, u in zip(heads["target"], heads["unit"])],
        status=[light if fresh == "current" else fresh for light, fresh in zip(heads["light"], heads["freshness"])],
        source=heads["source"] + " " + heads["source_version"].map(lambda v: "-" if pd.isna(v) else f"v{int(v)}"),
    )[["name", "period", "area", "value", "target", "status", "source"]]
    missing = heads.loc[heads["freshness"] == "not published", "source"].tolist()
    lines = [f"City indicators ({len(heads)}), each its latest complete period:", table.to_string(index=False)]
    if missing:
        lines.append(
            "No figure yet from " + ", ".join(sorted(set(missing))) + ": run the demo of that department on this lake "
            "(make demo-traffic, demo-safety, demo-energy, demo-emergency) and the indicators again."
        )
    return "\n".join(lines)
