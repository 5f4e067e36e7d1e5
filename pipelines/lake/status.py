"""What is in the lake, and is it on time: per table its zone, last publish, rows, quarantine reasons, freshness.

Read from the Delta logs only (commit times and the row counts kept in the log's file statistics), plus
the `reason_code` column of quarantine tables, so it stays cheap on a large lake.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from pipelines.bi.catalog import discover
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake
from pipelines.sources.spec import FeedSpec
from pipelines.validate.quarantine import count_by_reason


@dataclass(frozen=True)
class TableStatus:
    """One table of the lake, as an operator sees it."""

    zone: Zone
    dataset: str
    version: int
    last_publish: dt.datetime
    rows: int
    cadence: dt.timedelta | None = None
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)

    def freshness(self, now: dt.datetime) -> str:
        """'on time', 'late' (older than its cadence) or 'no cadence' (reference and internal tables)."""
        if self.cadence is None:
            return "no cadence"
        return "late" if now - self.last_publish > self.cadence else "on time"


def expected_cadences(feeds: Iterable[FeedSpec], mart_cadence: Mapping[str, str]) -> dict[tuple[Zone, str], dt.timedelta]:
    """Each table's expected cadence: a clean/quarantine dataset its fastest feed's, a mart its own."""
    cadences: dict[tuple[Zone, str], dt.timedelta] = {}
    for feed in feeds:
        every = pd.Timedelta(feed.cadence).to_pytimedelta()
        for zone in (Zone.CLEAN, Zone.QUARANTINE):
            key = (zone, feed.dataset)
            cadences[key] = min(cadences.get(key, every), every)
    for mart, every in mart_cadence.items():
        cadences[(Zone.CURATED, mart)] = pd.Timedelta(every).to_pytimedelta()
    return cadences


def _quarantine_reasons(table: "deltalake.DeltaTable") -> dict[str, int]:  # noqa: F821
    return count_by_reason(table.to_pyarrow_dataset().to_table(columns=["reason_code"]).to_pandas())


def table_statuses(lake: Lake, cadences: Mapping[tuple[Zone, str], dt.timedelta]) -> list[TableStatus]:
    """Every Delta table of the lake, in the order data moves through the zones."""
    from deltalake import DeltaTable

    statuses = []
    zone_order = list(Zone)
    for view in sorted(discover(lake), key=lambda v: (zone_order.index(v.zone), v.uri)):
        table = DeltaTable(view.uri, storage_options=lake.storage_options())
        dataset = view.uri.rsplit("/", 1)[-1]
        last_commit = table.history(1)[0]["timestamp"]
        rows = table.get_add_actions(flatten=True).column("num_records").to_pylist()
        statuses.append(TableStatus(
            zone=view.zone,
            dataset=dataset,
            version=table.version(),
            last_publish=dt.datetime.fromtimestamp(last_commit / 1000, tz=dt.UTC),
            rows=sum(n or 0 for n in rows),
            cadence=cadences.get((view.zone, dataset)),
            quarantined_by_reason=_quarantine_reasons(table) if view.zone is Zone.QUARANTINE else {},
        ))
    return statuses


def zone_totals(statuses: Iterable[TableStatus]) -> dict[Zone, tuple[int, int]]:
    """Per zone: (tables, rows)."""
    totals: dict[Zone, tuple[int, int]] = {}
    for status in statuses:
        tables, rows = totals.get(status.zone, (0, 0))
        totals[status.zone] = (tables + 1, rows + status.rows)
    return totals
