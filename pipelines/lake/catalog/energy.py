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

ENERGY_LOAD_PROFILES = Table(
    Zone.CURATED,
    "energy_load_profiles",
    "energy",
    "Each meter's daily load profile: energy, peak and when, base load, load factor; gaps and meter copies flagged",
    (
        Column("meter_id", "string", description="the meter"),
        Column("utility", "string", description="electricity (water, gas and heat when their meters come)"),
        Column("local_date", "date", description="the meters' local civil date (the feeds' `time.local_timezone`)"),
        Column("day_type", "string", description="`weekday` or `weekend`"),
        Column("readings", "int32", description="readings in the day"),
        Column("missing_readings", "int32", description="readings a whole day holds at the interval, minus those there"),
        Column("copied_readings", "int32", description="readings in runs equal in every measure to the day before"),
        Column("energy_kwh", "float", "kWh", "energy used in the day"),
        Column("peak_kw", "float", "kW", "the day's highest power reading"),
        Column("peak_time_local", "string", description="local time of the peak, HH:MM"),
        Column("base_load_kw", "float", "kW", "the day's 10th percentile of power: what runs all the time"),
        Column("mean_kw", "float", "kW", "mean power"),
        Column("load_factor", "float", description="mean / peak (1: flat; low: peaky)"),
        Column("quality", "string", description="`ok`, `gaps` (readings missing) or `copied` (a meter copy in the day)"),
        Column("usable", "bool", description="no copy and at most 5 % missing: what forecasts may learn from"),
    ),
    grain="one row per meter, utility and local date",
    key=("meter_id", "utility", "local_date"),
    partition_by=(),
    cadence="1D",
    producer="energy_load_marts",
    inputs=("clean/energy_readings",),
    logic=("pipelines.domains.energy.load", "pipelines.domains.energy.meters"),
    time_column=None,
    notes="A meter copy is a run of at least 15 readings equal, in every measure (power, reactive power, voltage, "
    "current), to the readings exactly one day earlier: how the UCI household file's gaps were filled (28-30 April "
    "2007, and shorter stretches). Days with a copy or more than 5 % missing are kept but not `usable`.",
)

ENERGY_LOAD_SHIFTING = Table(
    Zone.CURATED,
    "energy_load_shifting",
    "energy",
    "Peak shaving by shifting load: per building and 15 minutes, the flexible load before and after, and the group's peak",
    (
        Column("local_date", "date", description="the local day planned, in the zone the feeds declare"),
        Column("group_id", "string", description="the buildings planned together (`all`: the whole portfolio)"),
        Column("building_id", "string", description="the building"),
        Column("building_type", "string", description="its type"),
        Column("ts_utc", "timestamp", description="start of the interval"),
        Column("fixed_kw", "float", "kW", "the load that stays"),
        Column("flexible_before_kw", "float", "kW", "the flexible load as metered"),
        Column("flexible_after_kw", "float", "kW", "the flexible load as planned"),
        Column("moved_kw", "float", "kW", "after - before (positive: load moved into this interval)"),
        Column("group_peak_before_kw", "float", "kW", "the group's peak that day as metered"),
        Column("group_peak_after_kw", "float", "kW", "the group's peak that day as planned"),
        Column("window", "string", description="local hours the flexible load may move within, e.g. 06:00-22:00"),
        Column("solve_seconds", "float", "s", "HiGHS' time for the group's day"),
    ),
    grain="one row per local date, group, building and interval",
    key=("local_date", "group_id", "building_id", "ts_utc"),
    partition_by=("local_date",),
    cadence="1D",
    producer="energy_shifting_marts",
    inputs=("clean/building_meter_readings",),
    logic=("pipelines.domains.energy.shifting", "pipelines.domains.energy.portfolio"),
    notes="A linear program (SciPy's HiGHS): minimise the group's peak, each building keeping its flexible energy "
    "inside the window, at most `cap` x its largest flexible load per interval when a cap is given; outside the "
    "window nothing moves. The building split is one optimal plan of many; the peak is the answer. On SYNTHETIC "
    "portfolios the LP equals the water-filling optimum: `make bench-shifting` (10, 100, 1,000 buildings).",
)

ENERGY_UTILITY_LINKS = Table(
    Zone.CURATED,
    "energy_utility_links",
    "energy",
    "How utilities move together, and with temperature: correlations with lags and 95 % intervals; use per degree-day",
    (
        Column("scope", "string", description="`building` (a portfolio's meters) or `account` (a utility account's bills)"),
        Column("scope_id", "string", description="the building or the account"),
        Column("grain", "string", description="`hourly`, `daily` or `billing period`"),
        Column("series_a", "string", description="the first series (a canonical column, or heating_degree_days_per_day)"),
        Column("series_b", "string", description="the second series"),
        Column("kind", "string", description="`lag0`, `best_lag` (the lag with the largest |r|) or `degree_days`"),
        Column("lag_steps", "int16", description="series_b shifted by this many steps of the grain (positive: b follows a)"),
        Column("r", "float", description="Pearson's correlation"),
        Column("ci_low", "float", description="95 % interval of r, lower end (Fisher z on the effective n)"),
        Column("ci_high", "float", description="95 % interval of r, upper end"),
        Column("n", "int32", description="pairs behind r"),
        Column("n_effective", "float", description="n discounted for the two series' lag-1 autocorrelation"),
        Column("slope", "float", description="least-squares slope of b on a (degree_days: use per degree-day)"),
        Column("intercept", "float", description="its intercept (degree_days: the use that does not depend on heating)"),
        Column("from_utc", "timestamp", description="first reading used"),
        Column("to_utc", "timestamp", description="last reading used"),
    ),
    grain="one row per scope, grain, pair of series and kind",
    key=("scope", "scope_id", "grain", "series_a", "series_b", "kind"),
    partition_by=(),
    cadence="7D",
    producer="energy_links_marts",
    inputs=("clean/building_meter_readings", "clean/utility_bills"),
    logic=("pipelines.domains.energy.links", "pipelines.domains.energy.utilities"),
    time_column="to_utc",
    notes="Hourly pairs look up to 6 hours apart, daily pairs 2 days. Heating degree-days use an 18 C base. The "
    "interval widens with autocorrelation: n_effective = n (1 - a b) / (1 + a b) for lag-1 autocorrelations a, b.",
)

SECTION = Section(
    "Energy and water",
    (ENERGY_LOAD_PROFILES, ENERGY_LOAD_SHIFTING, ENERGY_UTILITY_LINKS, WATER_FLOW_ANOMALIES),
    intro="Built from the utilities' clean meter readings; each publish replaces the whole mart.",
)
