"""The other marts -> `city_indicators`, and `city_indicators` -> the weekly brief stored in the lake."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipelines.config import Settings
from pipelines.domains.egov import brief as weekly_brief
from pipelines.domains.egov import indicators as ind
from pipelines.lake.catalog.egov import CITY_INDICATORS
from pipelines.lake.runs import code_version, idempotency_key, write_run_record
from pipelines.lake.storage import Lake

PIPELINE = "egov_city_indicators"
BRIEF = "weekly_brief"


def source_state(lake: Lake, indicator: ind.Indicator) -> ind.SourceState:
    """The source mart's current version and when it was published, or not published."""
    table = indicator.table
    if not lake.has(table):
        return ind.SourceState(indicator.source, cadence=table.cadence)
    version = lake.version(table)
    return ind.SourceState(indicator.source, version, pd.Timestamp(lake.published_at(table, version)), table.cadence)


def reads(params: ind.IndicatorParams) -> dict[tuple[str, tuple[tuple[str, str, object], ...]], list[ind.Indicator]]:
    """The indicators by what they read (source mart and row filters), so that each is read once."""
    found: dict[tuple[str, tuple[tuple[str, str, object], ...]], list[ind.Indicator]] = {}
    for indicator in ind.INDICATORS:
        found.setdefault((indicator.source, indicator.filters(params)), []).append(indicator)
    return found


def build(
    settings: Settings, run_id: str, params: ind.IndicatorParams | None = None, as_of: pd.Timestamp | None = None
) -> dict[str, Any]:
    """Compute every indicator from its mart's current version and publish the mart; a summary per indicator."""
    params = params or ind.IndicatorParams()
    as_of = as_of or pd.Timestamp.now(tz="UTC").floor("s")
    lake = Lake(settings)
    states: dict[str, ind.SourceState] = {}
    for indicator in ind.INDICATORS:
        if indicator.source not in states:
            states[indicator.source] = source_state(lake, indicator)
    computed: dict[str, pd.DataFrame] = {}
    for (source, filters), group in reads(params).items():
        state = states[source]
        if state.version is None:
            continue
        columns = sorted({c for indicator in group for c in indicator.columns})
        frame = lake.read(group[0].table, version=state.version, columns=columns, filters=list(filters) or None)
        for indicator in group:
            if not frame.empty:
                computed[indicator.id] = ind.compute(indicator, frame, params)
    targets = ind.targets()
    rows = ind.assemble(computed, states, as_of, params, targets, code_version(), CITY_INDICATORS.logic_version)
    stale = sorted({r for r in rows.loc[rows["freshness"] == "stale", "source"]})
    versions = {ref: s.version for ref, s in states.items()}
    key = idempotency_key(PIPELINE, versions, repr(params), stale, targets.to_json(), CITY_INDICATORS.logic_version)
    lake.publish(CITY_INDICATORS, rows.assign(run_id=run_id), None, run_id, key)
    latest = rows[rows["is_latest"]]
    result = {
        "rows": len(rows),
        "indicators": int(rows.loc[rows["value"].notna(), "indicator"].nunique()),
        "not_published": sorted(ref for ref, s in states.items() if s.version is None),
        "stale": stale,
        "red": sorted(set(latest.loc[latest["light"] == "red", "indicator"])),
        "sources": versions,
    }
    write_run_record(lake, PIPELINE, run_id, result)
    return result


def edition_of(as_of: pd.Timestamp) -> str:
    """The brief's edition: the ISO week it is made in, `2026-W49`."""
    year, week, _ = as_of.isocalendar()
    return f"{year}-W{week:02d}"


def publish_brief(settings: Settings, run_id: str, as_of: pd.Timestamp | None = None) -> dict[str, Any]:
    """Render this week's brief from the mart's current version and store its HTML and PDF in the lake (a later run in
    the same week replaces the edition)."""
    as_of = as_of or pd.Timestamp.now(tz="UTC").floor("s")
    lake = Lake(settings)
    version = lake.require(CITY_INDICATORS, "run the egov_city_indicators DAG first")
    edition = edition_of(as_of)
    brief = weekly_brief.make_brief(lake.read(CITY_INDICATORS, version=version), edition, as_of)
    paths = {}
    for name, body in (("brief.html", weekly_brief.render_html(brief).encode()), ("brief.pdf", weekly_brief.render_pdf(brief))):
        paths[name] = lake.layout.report_file(BRIEF, edition, name)
        lake.write_bytes(paths[name], body)
    result = {
        "edition": edition,
        "indicators_version": version,
        "headlines": len(brief.headlines),
        "changed": len(brief.changes),
        "attention": sorted(brief.attention["indicator"]) if len(brief.attention) else [],
        "files": paths,
    }
    write_run_record(lake, BRIEF, run_id, result)
    return result
