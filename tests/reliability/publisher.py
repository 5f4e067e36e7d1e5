"""A publishing process to kill: `python -m tests.reliability.publisher LAKE TABLE GENERATION ROWS`.

Publishes ROWS rows over 8 partitions, every row tagged with GENERATION, replacing the whole table in
one commit; prints "publishing" when it starts writing and "published <version>" when done.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.config import load_settings
from pipelines.lake.delta import publish_frame
from pipelines.lake.storage import Lake

SCHEMA = pa.schema(
    [
        pa.field("part", pa.string()),
        pa.field("row_id", pa.int64()),
        pa.field("generation", pa.int64()),
        pa.field("value", pa.float64()),
    ]
)
PARTS = [f"p{i}" for i in range(8)]


def frame(generation: int, rows: int) -> pd.DataFrame:
    ids = np.arange(rows)
    return pd.DataFrame(
        {
            "part": np.array(PARTS)[ids % len(PARTS)],
            "row_id": ids,
            "generation": generation,
            "value": np.random.default_rng(generation).random(rows),
        }
    )


def main(lake_uri: str, table_uri: str, generation: int, rows: int) -> None:
    lake = Lake(load_settings(lake_uri=lake_uri))
    data = frame(generation, rows)
    print("publishing", flush=True)
    result = publish_frame(
        lake,
        table_uri,
        data,
        SCHEMA,
        ("part",),
        {"part": PARTS} if generation > 0 else None,
        f"gen-{generation}",
        f"generation-{generation}",
    )
    print("published", result.version, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
