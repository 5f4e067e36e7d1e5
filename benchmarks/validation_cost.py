"""What Great Expectations costs per feed: its share of the time to standardize a delivered file.

For each real Beijing station file (or a SYNTHETIC one without the data directory) the clean engine
standardizes the file as a worker does; the benchmark times the whole, the part GX spends deciding the rows
(`Suite.first_failures`, result_format COMPLETE) and GX's table checks on the clean rows (`validate_with_gx`),
and, as the floor to compare with, the same row rules evaluated by hand with pandas masks (what the engine did
before GX decided). The target: GX stays within 30 % of the time to standardize the file.

    .venv/bin/python benchmarks/validation_cost.py [--files 4] [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path

import pandas as pd

from pipelines.config import load_settings
from pipelines.lake.ingest import RawFile
from pipelines.sources.context import feed_context
from pipelines.sources.registry import get_source
from pipelines.sources.standardize import standardize
from pipelines.validate.suite import RowRule, Suite, load_suite, validate_with_gx

TARGET = 0.30


def hand_mask(rule: RowRule, frame: pd.DataFrame) -> pd.Series:
    """The floor: not null / between / in set as plain pandas masks (nulls pass range and set rules)."""
    values = frame[rule.columns[0]]
    if rule.expectation_type.endswith("not_be_null"):
        return values.isna()
    if rule.expectation_type.endswith("be_between"):
        low, high = rule.kwargs.get("min_value"), rule.kwargs.get("max_value")
        bad = pd.Series(False, index=frame.index)
        bad |= values.notna() & (values < low) if low is not None else False
        bad |= values.notna() & (values > high) if high is not None else False
        return bad
    return values.notna() & ~values.isin(list(rule.kwargs["value_set"]))


def files(count: int) -> tuple[list[Path], bool]:
    folder = load_settings().data_dir / "air" / "beijing"
    found = sorted(folder.glob("PRSA_Data_*.csv"))[:count]
    if found:
        return found, False
    from pipelines.domains.environment.synthetic import write_synthetic_files

    return write_synthetic_files(Path("var/synthetic"))[:count], True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    feed = get_source("air_beijing")
    suite = load_suite(feed.suite)
    paths, synthetic = files(args.files)
    print(
        f"feed air_beijing, suite {suite.name} ({len(suite.row_rules)} row rules); {'SYNTHETIC' if synthetic else 'real'} files"
    )
    spent: dict[str, float] = {}
    original = Suite.first_failures

    def timed(self: Suite, frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        started = time.perf_counter()
        result = original(self, frame)
        spent["rows"] = spent.get("rows", 0.0) + time.perf_counter() - started
        spent["frame"] = frame  # type: ignore[assignment]
        return result

    Suite.first_failures = timed  # type: ignore[method-assign]
    print(f"{'file':<48} {'rows':>7} {'standardize':>12} {'GX rows':>9} {'GX table':>9} {'GX share':>9} {'by hand':>8}")
    shares = []
    for path in paths:
        raw = RawFile(feed.name, path.name, "0" * 64, 0, None, "", "", dt.datetime(2026, 1, 1, tzinfo=dt.UTC).isoformat(), "b")
        context = feed_context(feed, load_settings(), raw)
        content = path.read_bytes()
        totals, rows_gx, tables, hands = [], [], [], []
        for _ in range(args.repeats):
            spent.clear()
            started = time.perf_counter()
            result = standardize(content, feed, suite, context)
            totals.append(time.perf_counter() - started)
            rows_gx.append(spent["rows"])
            started = time.perf_counter()
            validate_with_gx(result.clean, suite, feed.canonical.names)
            tables.append(time.perf_counter() - started)
            frame = spent["frame"]
            started = time.perf_counter()
            for rule in suite.row_rules:
                hand_mask(rule, frame)  # type: ignore[arg-type]
            hands.append(time.perf_counter() - started)
        total, row_gx, table = statistics.median(totals), statistics.median(rows_gx), statistics.median(tables)
        share = (row_gx + table) / (total + table)
        shares.append(share)
        print(
            f"{path.name:<48} {len(result.clean):>7,} {total:>11.2f}s {row_gx:>8.2f}s {table:>8.2f}s {share:>8.0%} "
            f"{statistics.median(hands):>7.2f}s"
        )
    worst = max(shares)
    print(
        f"\nGX share of standardizing a file: at most {worst:.0%} (target: within {TARGET:.0%}): {'met' if worst <= TARGET else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
