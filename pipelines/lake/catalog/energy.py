"""The energy and water utilities' marts: anomalous periods in metered flow."""

from __future__ import annotations

from pipelines.lake.catalog.model import Column, Section, Table
from pipelines.lake.layout import Zone

WATER_FLOW_ANOMALIES = Table(
    Zone.CURATED,
    "water_flow_anomalies",
    "energy",
    "Anomalous periods in each water meter's hourly flow, as each detector found them",
    (
        Column("meter_id", "string", description="the meter"),
        Column("detector", "string", description="`robust` (seasonal baseline, robust score) or `isolation_forest`"),
        Column("start_utc", "timestamp", description="first anomalous hour"),
        Column("end_utc", "timestamp", description="end of the period (exclusive)"),
        Column("hours", "int32", "h", "the period's length"),
        Column("kind", "string", description="`low` (losses, maintenance) or `high` (pumping, bursts upstream)"),
        Column("lowest", "float", "l/s", "lowest flow in the period"),
        Column("highest", "float", "l/s", "highest flow in the period"),
        Column("baseline", "float", "l/s", "mean seasonal baseline over the period: what the flow usually is then"),
        Column("peak_score", "float", description="largest |robust score| in the period (residual / robust scale)"),
        Column("run_id", "string", description="the DAG run that published it"),
    ),
    grain="one row per meter, detector and anomalous period",
    key=("meter_id", "detector", "start_utc"),
    partition_by=(),
    cadence="1D",
    producer="energy_water_marts",
    inputs=("clean/water_readings",),
    logic=("pipelines.domains.energy.anomalies", "pipelines.domains.energy.water"),
    time_column="start_utc",
    notes="Robust: the same hour of day's median over the 7 days around it is the baseline; |residual| / (1.4826 x "
    "median absolute residual) >= 4 flags an hour; flagged hours up to 2 h apart are one period, kept when its peak "
    "score reaches 6. IsolationForest (3 % contamination) on value, residual and hourly change, beside it. Event-level "
    "precision and recall on seeded series: `make bench-anomalies`.",
)

SECTION = Section(
    "Energy and water",
    (WATER_FLOW_ANOMALIES,),
    intro="Built from the utilities' clean meter readings; each publish replaces the whole mart.",
)
