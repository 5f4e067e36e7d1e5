"""The jobs the node-loss scenarios run, as their DAGs run them, each with the tables whose rows must come out the same.

A job lands real files (else the project's synthetic ones) in its feeds' landing folders, runs its steps before
the cluster work in the client (ingest: landing -> raw), then the cluster work on a Dask client (clean, marts,
training), and names its output tables. What a scenario compares comes from the catalog: each table's declared
key and columns; only the columns that name a run or a lake (`run_specific`) are left out of the comparison.

- **air**: the Beijing station files through the air feed; clean on Dask, the AQI marts. Compared: the clean
  table `air_quality_hourly`.
- **traffic**: METR-LA speeds (the first sensors and days), the sensor locations and road links through their
  feeds; clean on Dask, curate, train and compare the forecasters (each model x horizon x fold a Dask task).
  Compared: the curated readings, the model leaderboard and the factors.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass

import distributed
import pandas as pd

from pipelines.config import Settings
from pipelines.demo import TRAFFIC_FEEDS, air_files, first_lines, speeds_slice, traffic_files
from pipelines.domains.environment import pipeline as air
from pipelines.domains.traffic import pipeline as traffic
from pipelines.domains.traffic.params import TrafficParams
from pipelines.flows import clean as clean_flow
from pipelines.lake import delta
from pipelines.lake.catalog import Table
from pipelines.lake.catalog.traffic import MODEL_LEADERBOARD, TRAFFIC_FACTORS, TRAFFIC_READINGS_CLEAN
from pipelines.lake.storage import Lake
from pipelines.sources.registry import get_source
from pipelines.sources.spec import FeedSpec

ARRIVED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Workload:
    """How much real (or synthetic) data a job lands: `series` stations or sensors, `hours` of each."""

    series: int
    hours: int


@dataclass(frozen=True)
class Job:
    """One job of the scenarios: its feeds, how it lands a workload, its client and cluster steps, its outputs."""

    name: str
    feeds: tuple[FeedSpec, ...]
    outputs: tuple[Table, ...]
    land: Callable[[Settings, Workload], None]
    on_client: Callable[[Settings, str], None]
    on_cluster: Callable[[Settings, str, distributed.Client], None]
    modules: tuple[str, ...]  # what its workers import: paid once before a timing
    busy_with: str  # the task (function) of its main cluster work: a scenario takes a node away while one runs
    reduced: Workload  # the reliability suite's size
    full: Workload  # make scale-demo's
    run_specific: tuple[str, ...] = ()  # columns that name the run or the lake, not the data

    def workload(self, reduced: bool) -> Workload:
        return self.reduced if reduced else self.full

    def rows(self, workload: Workload) -> int:
        """The rows of its first output for a workload: its first feed's readings per series and hour."""
        return workload.series * workload.hours * readings_per_hour(self.feeds[0])

    def read_outputs(self, settings: Settings) -> dict[str, pd.DataFrame]:
        """Each output table as it stands, sorted by its declared key."""
        lake = Lake(settings)
        frames = {}
        for table in self.outputs:
            frame = delta.read_table(lake, lake.layout.table(table.zone, table.name))
            frames[table.name] = frame.sort_values(list(table.key)).reset_index(drop=True)
        return frames

    def warm(self, client: distributed.Client) -> None:
        """Import the job's modules on every worker once, so that timings compare work, not interpreter start-up."""
        for module in self.modules:
            client.run(importlib.import_module, module)


def readings_per_hour(feed: FeedSpec) -> int:
    """How many readings a series of the feed has per hour, from the interval its YAML declares."""
    interval = feed.time.expected_interval if feed.time is not None else None
    if interval is None:
        raise ValueError(f"feed {feed.name} declares no time.expected_interval: a workload of hours cannot be sized")
    return max(1, int(pd.Timedelta("1h") / pd.Timedelta(interval)))


def _ingest_feeds(feeds: tuple[FeedSpec, ...]) -> Callable[[Settings, str], None]:
    def ingest(settings: Settings, run_id: str) -> None:
        for feed in feeds:
            clean_flow.ingest(settings, feed, run_id, ARRIVED)

    return ingest


# --- air ----------------------------------------------------------------------------------------------------------


def land_air(settings: Settings, workload: Workload) -> None:
    """The first `hours` of `series` station files in the air feed's landing folder."""
    lake = Lake(settings)
    lake.ensure_exists()
    files, _ = air_files(settings)
    readings = workload.hours * readings_per_hour(air.feed())  # a station file: a row per reading
    for path in files[: workload.series]:
        lake.write_bytes(f"{lake.layout.landing_dir(air.SOURCE_NAME)}/{path.name}", first_lines(path, readings))


def _air_on_cluster(settings: Settings, run_id: str, client: distributed.Client) -> None:
    air.clean(settings, run_id, client)
    air.build_marts(settings, run_id, client)


AIR = Job(
    name="air",
    feeds=(air.feed(),),
    outputs=(air.AIR_QUALITY,),
    land=land_air,
    on_client=_ingest_feeds((air.feed(),)),
    on_cluster=_air_on_cluster,
    modules=("pipelines.domains.environment.pipeline",),
    busy_with="stage_file",  # standardizing and validating a raw file
    reduced=Workload(series=2, hours=24 * 14),
    full=Workload(series=6, hours=24 * 365),
)


# --- traffic ------------------------------------------------------------------------------------------------------

# Small enough for a scenario: few boosting rounds, two folds, one repeat of the factor permutations.
TRAFFIC_PARAMS = TrafficParams.from_dict(
    {"learned_params": {"gradient_boosting": {"max_iter": 30}}, "plan": {"test_fraction": 0.2, "folds": 2}, "factor_repeats": 1}
)


def land_traffic(settings: Settings, workload: Workload) -> None:
    """The first `hours` of the first `series` sensors' speeds, and every sensor location and road link."""
    lake = Lake(settings)
    lake.ensure_exists()
    files, _ = traffic_files(settings)
    (speeds_feed, [speeds]), *others = files
    readings = workload.hours * readings_per_hour(speeds_feed)  # rows of the wide file: one per step
    lake.write_bytes(
        f"{lake.layout.landing_dir(speeds_feed.name)}/{speeds.name}", speeds_slice(speeds, workload.series, readings)
    )
    for feed, paths in others:
        for path in paths:
            lake.write_bytes(f"{lake.layout.landing_dir(feed.name)}/{path.name}", path.read_bytes())


def _traffic_on_cluster(settings: Settings, run_id: str, client: distributed.Client) -> None:
    for feed in TRAFFIC.feeds:
        clean_flow.clean(settings, feed, run_id, client)
    traffic.curate_readings(settings, run_id, TRAFFIC_PARAMS)
    traffic.train(settings, run_id, client, TRAFFIC_PARAMS)


_TRAFFIC_FEEDS = tuple(get_source(name) for name in TRAFFIC_FEEDS)
TRAFFIC = Job(
    name="traffic",
    feeds=_TRAFFIC_FEEDS,
    outputs=(TRAFFIC_READINGS_CLEAN, MODEL_LEADERBOARD, TRAFFIC_FACTORS),
    land=land_traffic,
    on_client=_ingest_feeds(_TRAFFIC_FEEDS),
    on_cluster=_traffic_on_cluster,
    modules=("pipelines.domains.traffic.pipeline",),
    busy_with="run_backtest_job",  # one model x horizon x fold of the backtest
    # its training (5 models x 3 horizons x 2 folds, each a task on the workers) grows with every sensor-day
    reduced=Workload(series=6, hours=24 * 3),
    full=Workload(series=48, hours=24 * 7),  # METR-LA's shared file holds one week
    run_specific=("model_uri", "trained_at_utc", "run_id"),  # the model's path names the lake; when and which run
)

JOBS = {job.name: job for job in (AIR, TRAFFIC)}
