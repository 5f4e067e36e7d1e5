"""The smart-traffic marts: readings on a regular grid, the model leaderboard and factors, forecasts and alerts."""

from __future__ import annotations

from pipelines.lake.catalog.model import Column, Section, Table
from pipelines.lake.layout import Zone

_CURATE = ("pipelines.domains.traffic.panel", "pipelines.domains.traffic.params", "pipelines.domains.traffic.pipeline")
_MODELS = (
    *_CURATE,
    "pipelines.domains.traffic.features",
    "pipelines.domains.traffic.models",
    "pipelines.domains.traffic.network",
    "pipelines.domains.traffic.backtest",
    "pipelines.forecasting.metrics",
    "pipelines.forecasting.backtest",
    "pipelines.forecasting.model",
)
_SCORE = (*_MODELS, "pipelines.domains.traffic.alerts", "pipelines.forecasting.registry")
_SENSOR = Column("sensor_id", "string", description="loop detector")
_TRAINING_ID = Column(
    "training_id", "string", description="the training run (`<last reading UTC>-<hash of inputs, parameters and logic>`)"
)
_HORIZON = Column("horizon_min", "int32", "min", "how far ahead: 15, 30 or 60 minutes")
_MODEL = Column("model", "string", description="the forecaster")
_ORIGIN_DATE = Column("origin_date", "date", description="local date of the forecast's origin")


def _mart(
    name: str,
    description: str,
    columns: tuple[Column, ...],
    grain: str,
    key: tuple[str, ...],
    partition_by: str | tuple[str, ...],
    cadence: str,
    producer: str,
    logic: tuple[str, ...],
    notes: str = "",
    inputs: tuple[str, ...] = (),
    shared_with: tuple[str, ...] = (),
) -> Table:
    return Table(
        Zone.CURATED,
        name,
        "traffic",
        description,
        columns,
        grain=grain,
        key=key,
        partition_by=(partition_by,) if isinstance(partition_by, str) else partition_by,
        cadence=cadence,
        producer=producer,
        logic=logic,
        notes=notes,
        inputs=inputs,
        shared_with=shared_with,
    )


_MEASURE = Column("measure", "string", description="`speed_kmh`, `volume_veh_h` or `occupancy_pct` (`clean/traffic_readings`)")
_UNIT = Column("unit", "string", description="the measure's unit: km/h, veh/h or %")

# what the models learn from and score on: the curated readings, the sensors' places and the road links
_MODEL_INPUTS = ("curated/traffic_readings_clean", "clean/traffic_sensors", "clean/traffic_road_links")

TRAFFIC_READINGS_CLEAN = _mart(
    "traffic_readings_clean",
    "Every sensor and measure on its native grid (5, 15, 60 minutes), short gaps interpolated and flagged",
    (
        _SENSOR,
        _MEASURE,
        Column("ts_utc", "timestamp", description="start of the interval"),
        Column("local_date", "date", description="its local civil date"),
        Column(
            "step_min", "int32", "min", "the sensor's native step for this measure: the most common interval between its readings"
        ),
        Column("value", "float", description="the reading in `unit`; null when `status` = missing"),
        _UNIT,
        Column(
            "status",
            "string",
            description="`observed`, `interpolated` (a gap of at most `max_gap_min`, filled linearly) or `missing`",
        ),
    ),
    grain="one row per sensor, measure and native step between the sensor group's first and last reading",
    key=("sensor_id", "measure", "ts_utc"),
    partition_by="local_date",
    cadence="1h",
    producer="traffic_readings_curate",
    inputs=("clean/traffic_readings",),
    logic=_CURATE,
    notes="Each sensor keeps its native step per measure: a 15-minute count stays a 15-minute count (never put on a "
    "5-minute grid with invented values in between). Readings between a sensor's grid points are counted as "
    "`off_grid` in the run record and stay in `clean/traffic_readings` only. A zero speed is a missing reading (the "
    "feed maps 0 to null before this); a zero volume is a quiet interval. Gaps longer than `max_gap_min` (15 min) "
    "and the steps before the first / after the last reading stay `missing`. The whole table is rebuilt from the "
    "clean readings in one commit (interpolation crosses day boundaries).",
)
MODEL_LEADERBOARD = _mart(
    "model_leaderboard",
    "Every forecaster scored by a rolling-origin backtest, per horizon, with the champion (traffic and air quality)",
    (
        _TRAINING_ID,
        Column("measure", "string", description="what is forecast: a traffic measure (`speed_kmh`, ...) or `aqi`"),
        Column("unit", "string", description="the measure's unit: km/h, veh/h, % or AQI"),
        Column("horizon_min", "int32", "min", "how far ahead (traffic: 15, 30, 60 minutes; air quality: 1-24 hours)"),
        Column(
            "model",
            "string",
            description="traffic: `last_value`, `historical_average`, `seasonal_naive`, `linear_ridge`, "
            "`gradient_boosting`; air quality: `persistence`, `climatology`, `linear_ridge`, `gradient_boosting`",
        ),
        Column(
            "mae",
            "float",
            description="masked mean absolute error in `unit` (only real readings are scored; for speed, not zeros: DCRNN protocol)",
        ),
        Column("rmse", "float", description="masked root mean squared error in `unit`"),
        Column("mape_pct", "float", "%", "masked mean absolute percentage error"),
        Column("scored_points", "int", description="how many (series, target) pairs were scored (a series: a sensor, a station)"),
        Column("rank", "int32", description="rank by MAE within the horizon"),
        Column("is_champion", "bool", description="rank 1 in the backtest"),
        Column(
            "gain_vs_best_baseline_pct",
            "float",
            "%",
            "100 * (1 - mae / the better baseline's mae): traffic's last_value and historical_average, air quality's "
            "persistence and climatology",
        ),
        Column("train_until_utc", "timestamp", description="the last reading the champions were refitted on"),
        Column("test_from_utc", "timestamp", description="start of the backtest (the last `test_fraction` of the steps)"),
        Column("test_to_utc", "timestamp", description="end of the backtest"),
        Column("folds", "int32", description="consecutive blocks, each forecast by models fitted only on what came before"),
        Column("model_uri", "string", description="the model in the registry (`_meta/models/.../*.skops`, its card beside it)"),
        Column("code_version", "string", description="the package version and commit that trained it (information only)"),
        Column(
            "trained_at_utc",
            "timestamp",
            description="when the training ran: of two trainings on the same data, the later is current; null in rows "
            "written before it was declared",
        ),
        Column("params_json", "string", description="every parameter"),
        Column("input_version", "int", description="the version of the input read (`traffic_readings_clean`, `air_aqi_hourly`)"),
        Column("run_id", "string", description="the Airflow run"),
        Column(
            "interval_halfwidth",
            "float",
            description="half-width in `unit` of the 90 % prediction interval: the split-conformal quantile of the "
            "backtest's absolute errors",
        ),
        Column(
            "live_mae",
            "float",
            description="MAE in `unit` of its live forecasts over the champion rule's window; null before any",
        ),
        Column("live_rmse", "float", description="RMSE in `unit` of its live forecasts over the window"),
        Column("live_coverage_pct", "float", "%", "share of live actuals inside its 90 % interval over the window"),
        Column("live_points", "int", description="live (series, target) pairs scored over the window"),
        Column("live_days", "int32", description="days with live scores in the window"),
        Column(
            "champion_now", "bool", description="the horizon's champion as it stands: the backtest's, or the live rule's switch"
        ),
        Column(
            "domain", "string", description="`traffic`, `environment` or `energy`; null in rows written before it was declared"
        ),
    ),
    grain="one row per training run, horizon and model",
    key=("training_id", "horizon_min", "model"),
    partition_by="training_id",
    cadence="7D",
    producer="traffic_model_training",
    shared_with=("environment_aqi_forecast_training", "energy_load_forecast_training", "emergency_calls_forecast_training"),
    inputs=(
        *_MODEL_INPUTS,
        "curated/air_aqi_hourly",
        "clean/air_quality_hourly",
        "clean/energy_readings",
        "clean/building_meter_readings",
    ),
    logic=_MODELS,
    notes="The same inputs, parameters and logic give the same `training_id`, and a rerun replaces its own rows.",
)
TRAFFIC_FACTORS = _mart(
    "traffic_factors",
    "What moves the forecasts: grouped permutation importance per model and horizon",
    (
        _TRAINING_ID,
        _HORIZON,
        _MODEL,
        Column(
            "factor",
            "string",
            description="`recent_level`, `recent_trend`, `upstream`, `downstream`, `adjacent`, `time_of_day`, `weekday`, `usual_level`",
        ),
        _UNIT,
        Column(
            "mae_increase",
            "float",
            description="how much worse the masked MAE (in `unit`) gets with the factor's inputs shuffled (mean)",
        ),
        Column("std", "float", description="its standard deviation over the repeats"),
        Column("inputs", "int32", description="how many input columns the factor has"),
        Column("rank", "int32", description="rank by MAE increase within model and horizon"),
    ),
    grain="one row per training run, horizon, learned model and factor",
    key=("training_id", "horizon_min", "model", "factor"),
    partition_by="training_id",
    cadence="7D",
    producer="traffic_model_training",
    inputs=_MODEL_INPUTS,
    logic=_MODELS,
    notes="Measured on the last backtest block: all inputs of a factor are shuffled together across rows "
    "(`factor_repeats` times). `upstream` / `downstream` (adjacency-weighted mean level of the sensors feeding / fed "
    "by this one) exist when the adjacency is directed; `adjacent` is the same either way plus the five most strongly "
    "linked sensors. The METR-LA adjacency is symmetric, so on that data the network factor is `adjacent`.",
)
TRAFFIC_FORECAST = _mart(
    "traffic_forecast",
    "Every candidate model's forecasts of a measure for every sensor, origin and horizon, the champion's flagged",
    (
        _ORIGIN_DATE,
        _MEASURE,
        _SENSOR,
        _UNIT,
        Column("origin_ts_utc", "timestamp", description="when the forecast is made: it uses readings up to this step only"),
        Column("target_ts_utc", "timestamp", description="origin + horizon"),
        _HORIZON,
        Column("model", "string", description="the candidate model that made it"),
        Column("predicted", "float", description="the forecast, in `unit`"),
        Column("usual", "float", description="the historical average at the target's local time of day (training window)"),
        Column("actual", "float", description="the reading at the target when it is a real one; null when not (yet) known"),
        _TRAINING_ID,
        Column("lower", "float", description="lower end of the 90 % prediction interval, in `unit`"),
        Column("upper", "float", description="upper end of the 90 % prediction interval, in `unit`"),
        Column("is_champion", "bool", description="the horizon's champion when the forecast was made: what alerts use"),
    ),
    grain="one row per measure, sensor, origin, horizon and model",
    key=("measure", "sensor_id", "origin_ts_utc", "horizon_min", "model"),
    partition_by=("measure", "origin_date"),
    cadence="1h",
    producer="traffic_forecast_scoring",
    inputs=(*_MODEL_INPUTS, "curated/model_leaderboard"),
    logic=_SCORE,
    notes="Scoring a measure on a date replaces that measure's partition of that date only.",
)
CONGESTION_ALERTS = _mart(
    "congestion_alerts",
    "Congestion early warnings per measure: slow or sharply slower speeds, high occupancy, volume near capacity",
    (
        _ORIGIN_DATE,
        _MEASURE,
        _SENSOR,
        _UNIT,
        Column("target_ts_utc", "timestamp", description="when the congestion is forecast"),
        Column("origin_ts_utc", "timestamp", description="when the earliest forecast that flagged it was made"),
        Column("lead_time_min", "int32", "min", "target minus origin: how early the city could have acted"),
        Column("predicted", "float", description="the forecast, in `unit`"),
        Column("usual", "float", description="the usual value at that time"),
        Column("threshold", "float", description="the congestion threshold in force, in `unit` (volume: v/c ratio x capacity)"),
        Column("drop_pct", "float", "%", "speed: how far below the usual speed the forecast is; null for other measures"),
        Column(
            "rule",
            "string",
            description="speed: `below_threshold`, `sharp_drop` or both joined by +; occupancy: `above_threshold`; "
            "volume: `near_capacity`",
        ),
        Column("severity", "string", description="`severe` or `warning` on the forecast itself; `watch` on its interval only"),
        _MODEL,
        _TRAINING_ID,
        Column(
            "basis",
            "string",
            description="`point`: the forecast crossed the rule; `interval`: only the pessimistic end of its 90 % "
            "interval did (speed: lower end; occupancy and volume: upper end)",
        ),
    ),
    grain="one row per measure, sensor and target time that some forecast flagged",
    key=("origin_date", "measure", "sensor_id", "target_ts_utc"),
    partition_by=("measure", "origin_date"),
    cadence="1h",
    producer="traffic_forecast_scoring",
    inputs=(*_MODEL_INPUTS, "curated/model_leaderboard"),
    logic=_SCORE,
    notes="Speed: an alert when `predicted < threshold_kmh` (default 56 km/h = 35 mph, Caltrans' congested freeway) or "
    "at least `drop_ratio` (40 %) below `usual`; `severe` below `severe_threshold_kmh` (32 km/h) or at a drop of at "
    "least `severe_drop_ratio` (60 %). Occupancy: `predicted >= occupancy_threshold_pct` (25 %), severe from "
    "`severe_occupancy_pct` (40 %). Volume: the forecast flow at `volume_capacity_ratio` (0.9) of the sensor's "
    "capacity or more, severe at capacity; the capacity is `capacity_veh_h` or the sensor's 99th-percentile flow "
    "in training. Speed thresholds never apply to volumes or occupancy. Of the forecasts that flag the same sensor and "
    "target time the earliest is kept (the longest lead time).",
)

SECTION = Section(
    "Smart traffic",
    (TRAFFIC_READINGS_CLEAN, MODEL_LEADERBOARD, TRAFFIC_FACTORS, TRAFFIC_FORECAST, CONGESTION_ALERTS),
    intro="""Local time for the traffic marts is the city's (`TrafficParams.timezone`, America/Los_Angeles for
METR-LA). Every mart names its `measure` and `unit`: speeds are km/h (the METR-LA feed delivers mph; converted on
the way in), volumes vehicles per hour (flow over the interval, whatever its length), occupancy %. Each run forecasts one measure
(`TrafficParams.measure`) on its native step. The inputs are
`clean/traffic_readings`, `clean/traffic_sensors` (with each sensor's `graph_index`) and
`clean/traffic_road_links` (one row per ordered pair of sensors, `weight` 0..1). Every knob is in
`pipelines/domains/traffic/params.py`; the DAGs take overrides as the `traffic` param (JSON).""",
    outro="""### Plots and run records

Each training run saves `leaderboard.png`, `factors.png` and `forecast_vs_actual.png` (the champions'
backtest forecasts against the readings for the three sensors whose measure varied most) next to its
record: `_meta/runs/traffic_model_training/<run_id>/`. Run records of all three traffic pipelines are in
`_meta/runs/<pipeline>/<run_id>.json` (code version, parameters, input versions, what was published).""",
)
