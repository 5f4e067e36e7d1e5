"""A headerless matrix file (the road-network adjacency) becomes one row per cell with its position."""

from __future__ import annotations

import datetime as dt

from pipelines.sources.registry import get_source
from pipelines.sources.standardize import FeedContext, standardize
from pipelines.validate.suite import load_suite

MATRIX = b"1,0.5,0\n0.25,1,0\n0,0,1.5\n"


def test_cells_keep_their_row_and_column_and_bad_weights_are_quarantined() -> None:
    result = standardize(
        MATRIX,
        get_source("metr_la_road_links"),
        load_suite("traffic_road_links"),
        FeedContext("los_adj.csv", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
    )
    assert (result.rows_in, len(result.clean), len(result.rejects), result.rows_deduplicated) == (9, 8, 1, 0)
    cells = {(r.from_index, r.to_index): r.weight for r in result.clean.itertuples()}
    assert cells == {(0, 0): 1.0, (0, 1): 0.5, (0, 2): 0.0, (1, 0): 0.25, (1, 1): 1.0, (1, 2): 0.0, (2, 0): 0.0, (2, 1): 0.0}
    reject = result.rejects.iloc[0]
    assert (reject.reason_code, int(reject.source_line)) == ("VALUE_OUT_OF_RANGE", 3)
