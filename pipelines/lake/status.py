"""What is in the lake, and is it on time: per table its zone, last publish, rows, quarantine reasons, freshness.

Read from the Delta logs only (commit times and the row counts kept in the log's file statistics), plus
the `reason_code` column of quarantine tables, so it stays cheap on a large lake.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from pipelines.lake.catalog import Table
from pipelines.lake.delta import stored_tables
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake

if TYPE_CHECKING:
    import deltalake


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


def expected_cadences(tables: Iterable[Table], feed_cadences: Iterable[tuple[str, str]]) -> dict[tuple[Zone, str], dt.timedelta]:
    """Each table's expected cadence: its declared one; a clean dataset (and its quarantine) its fastest feed's.

    `feed_cadences` are (dataset, cadence) pairs of the feeds' YAML: a dataset is as late as its fastest feed.
    """
    cadences = {(t.zone, t.name): pd.Timedelta(t.cadence).to_pytimedelta() for t in tables if t.cadence}
    fastest: dict[str, dt.timedelta] = {}
    for dataset, cadence in feed_cadences:
        every = pd.Timedelta(cadence).to_pytimedelta()
        fastest[dataset] = min(fastest.get(dataset, every), every)
    for dataset, every in fastest.items():
        cadences[(Zone.CLEAN, dataset)] = cadences[(Zone.QUARANTINE, dataset)] = every
    return cadences


def _quarantine_reasons(table: deltalake.DeltaTable) -> dict[str, int]:
    counts = table.to_pyarrow_dataset().to_table(columns=["reason_code"]).to_pandas()["reason_code"].value_counts()
    return {str(code): int(counts[code]) for code in sorted(counts.index)}


def table_statuses(lake: Lake, cadences: Mapping[tuple[Zone, str], dt.timedelta]) -> list[TableStatus]:
    """Every Delta table of the lake, in the order data moves through the zones."""
    from deltalake import DeltaTable

    statuses = []
    for stored in stored_tables(lake):
        table = DeltaTable(stored.uri, storage_options=lake.storage_options())
        dataset = stored.name
        last_commit = table.history(1)[0]["timestamp"]
        rows = table.get_add_actions(flatten=True).column("num_records").to_pylist()
        statuses.append(
            TableStatus(
                zone=stored.zone,
                dataset=dataset,
                version=table.version(),
                last_publish=dt.datetime.fromtimestamp(last_commit / 1000, tz=dt.UTC),
                rows=sum(n or 0 for n in rows),
                cadence=cadences.get((stored.zone, dataset)),
                quarantined_by_reason=_quarantine_reasons(table) if stored.zone is Zone.QUARANTINE else {},
            )
        )
    return statuses


def zone_totals(statuses: Iterable[TableStatus]) -> dict[Zone, tuple[int, int]]:
    """Per zone: (tables, rows)."""
    totals: dict[Zone, tuple[int, int]] = {}
    for status in statuses:
        tables, rows = totals.get(status.zone, (0, 0))
        totals[status.zone] = (tables + 1, rows + status.rows)
    return totals
