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
    "Each meter's daily load profile per utility: energy, peak and when, base load, load factor; gaps and copies flagged",
    (
        Column("dataset", "string", description="the clean dataset of the meter (a load declared in `loads/`)"),
        Column("meter_id", "string", description="the meter (a building, a household, a region)"),
        Column("utility", "string", description="electricity, heat, gas (as power, by its declared calorific value)"),
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
    grain="one row per dataset, meter, utility and local date",
    key=("dataset", "meter_id", "utility", "local_date"),
    partition_by=(),
    cadence="1D",
    producer="energy_load_marts",
    inputs=("clean/energy_readings", "clean/building_meter_readings"),
    logic=("pipelines.domains.energy.load", "pipelines.domains.energy.loads", "pipelines.domains.energy.meters"),
    time_column=None,
    notes="Every dataset declared in `loads/` (which column is the meter, which the utilities' loads), in its unit "
    "converted to kW. A meter copy is a run of at least 15 readings equal, in every declared copy measure (the "
    "household: power, reactive power, voltage, current), to the readings exactly one day earlier: how the UCI "
    "household file's gaps were filled (28-30 April 2007, and shorter stretches). Days with a copy or more than 5 % "
    "missing are kept but not `usable`.",
)

_SHIFTING_COLUMNS = (
    Column("local_date", "date", description="the local day planned, in the zone the feeds declare"),
    Column("group_id", "string", description="the buildings planned together (`all`: the whole portfolio)"),
    Column("building_id", "string", description="the building"),
    Column("building_type", "string", description="its type"),
    Column("ts_utc", "timestamp", description="start of the interval"),
    Column("fixed_kw", "float", "kW", "the load that stays"),
    Column("flexible_before_kw", "float", "kW", "the flexible load as metered (day ahead: as forecast)"),
    Column("flexible_after_kw", "float", "kW", "the flexible load as planned"),
    Column("moved_kw", "float", "kW", "after - before (positive: load moved into this interval)"),
    Column("group_peak_before_kw", "float", "kW", "the group's peak that day as metered (day ahead: as forecast)"),
    Column("group_peak_after_kw", "float", "kW", "the group's peak that day as planned"),
    Column("window", "string", description="local hours the flexible load may move within, e.g. 06:00-22:00"),
    Column("solve_seconds", "float", "s", "HiGHS' time for the group's day"),
)
_SHIFTING_LP = (
    "A linear program (SciPy's HiGHS): minimise the group's peak, each building keeping its flexible energy "
    "inside the window, at most `cap` x its largest flexible load per interval when a cap is given; outside the "
    "window nothing moves. The building split is one optimal plan of many; the peak is the answer."
)

ENERGY_LOAD_SHIFTING = Table(
    Zone.CURATED,
    "energy_load_shifting",
    "energy",
    "Peak shaving by shifting load: per building and 15 minutes, the flexible load before and after, and the group's peak",
    _SHIFTING_COLUMNS,
    grain="one row per local date, group, building and interval",
    key=("local_date", "group_id", "building_id", "ts_utc"),
    partition_by=("local_date",),
    cadence="1D",
    producer="energy_shifting_marts",
    inputs=("clean/building_meter_readings",),
    logic=("pipelines.domains.energy.shifting", "pipelines.domains.energy.portfolio"),
    notes=f"{_SHIFTING_LP} On SYNTHETIC portfolios the LP equals the water-filling optimum: `make bench-shifting` "
    "(10, 100, 1,000 buildings).",
)

ENERGY_LOAD_FORECAST = Table(
    Zone.CURATED,
    "energy_load_forecast",
    "energy",
    "Every candidate model's hourly load forecast for the next local day per meter and utility, with its 90 % interval",
    (
        Column("dataset", "string", description="the clean dataset of the meter (a load declared in `loads/`)"),
        Column("origin_date", "date", description="the local day that ended at the origin (the forecast is for the next)"),
        Column("series", "string", description="meter|utility"),
        Column("meter_id", "string", description="the meter"),
        Column("utility", "string", description="electricity, heat or gas"),
        Column("origin_ts_utc", "timestamp", description="the last hour the forecast knew (the day's hour 23, local)"),
        Column("target_ts_utc", "timestamp", description="origin + horizon: an hour of the next local day"),
        Column("horizon_min", "int32", "min", "how far ahead: 60 to 1,440 minutes"),
        Column(
            "model", "string", description="`same_hour_yesterday`, `same_hour_last_week`, `day_type_profile`, `gradient_boosting`"
        ),
        Column("predicted", "float", "kW", "the forecast mean power of the hour"),
        Column("lower", "float", "kW", "lower end of the 90 % prediction interval"),
        Column("upper", "float", "kW", "upper end of the 90 % prediction interval"),
        Column("is_champion", "bool", description="the horizon's champion when the forecast was made"),
        Column("training_id", "string", description="the training run whose model made it"),
    ),
    grain="one row per meter, utility, origin, horizon and model",
    key=("dataset", "series", "origin_ts_utc", "horizon_min", "model"),
    partition_by=("dataset", "origin_date"),
    cadence="1D",
    producer="energy_load_forecast_scoring",
    inputs=("clean/energy_readings", "clean/building_meter_readings", "curated/model_leaderboard"),
    logic=(
        "pipelines.domains.energy.load_forecast",
        "pipelines.domains.energy.load_forecasting",
        "pipelines.forecasting.jobs",
        "pipelines.forecasting.backtest",
    ),
    time_column="target_ts_utc",
    notes="From each day's last local hour every candidate forecasts the next 24 hours; the training's models were "
    "backtested (`model_leaderboard`, domain `energy`, measure `load:<dataset>`) and are scored live against the "
    "hours that come (`model_live_scores`), the champion rule switching champions. Meter copies are neither learned "
    "from nor scored. Gas is power by its declared calorific value.",
)

ENERGY_LOAD_SHIFTING_DAY_AHEAD = Table(
    Zone.CURATED,
    "energy_load_shifting_day_ahead",
    "energy",
    "Tomorrow's peak-shaving plan: the champions' load forecasts of the portfolio shifted so that its peak is lowest",
    _SHIFTING_COLUMNS,
    grain="one row per local date, group, building and hour",
    key=("local_date", "group_id", "building_id", "ts_utc"),
    partition_by=("local_date",),
    cadence="1D",
    producer="energy_load_forecast_scoring",
    inputs=("curated/energy_load_forecast", "clean/building_meter_readings"),
    logic=(
        "pipelines.domains.energy.shifting",
        "pipelines.domains.energy.portfolio",
        "pipelines.domains.energy.load_forecasting",
    ),
    notes=f"{_SHIFTING_LP} The load is the champions' hourly electricity forecast for the next local day; each "
    "building's flexible share and type are its latest metered ones. What it would shave on the metered days: "
    "`energy_load_shifting`.",
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
    (
        ENERGY_LOAD_PROFILES,
        ENERGY_LOAD_FORECAST,
        ENERGY_LOAD_SHIFTING,
        ENERGY_LOAD_SHIFTING_DAY_AHEAD,
        ENERGY_UTILITY_LINKS,
        WATER_FLOW_ANOMALIES,
    ),
    intro="Built from the utilities' clean meter readings; each publish replaces the whole mart.",
)
