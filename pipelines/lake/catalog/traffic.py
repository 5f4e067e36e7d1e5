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
    "pipelines.domains.traffic.metrics",
    "pipelines.domains.traffic.backtest",
)
_SCORE = (*_MODELS, "pipelines.domains.traffic.alerts")
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
    partition_by: str,
    cadence: str,
    producer: str,
    logic: tuple[str, ...],
    notes: str = "",
) -> Table:
    return Table(
        Zone.CURATED,
        name,
        "traffic",
        description,
        columns,
        grain=grain,
        key=key,
        partition_by=(partition_by,),
        cadence=cadence,
        producer=producer,
        logic=logic,
        notes=notes,
    )


TRAFFIC_READINGS_CLEAN = _mart(
    "traffic_readings_clean",
    "Every sensor on the regular 5-minute grid, short gaps interpolated and flagged",
    (
        _SENSOR,
        Column("ts_utc", "timestamp", description="start of the 5-minute interval"),
        Column("local_date", "date", description="its local civil date"),
        Column("speed_kmh", "float", "km/h", "mean speed; null when `status` = missing"),
        Column(
            "status",
            "string",
            description="`observed`, `interpolated` (a gap of at most `max_gap_steps`, filled linearly) or `missing`",
        ),
    ),
    grain="one row per sensor and 5-minute step between the first and last reading",
    key=("sensor_id", "ts_utc"),
    partition_by="local_date",
    cadence="1h",
    producer="traffic_readings_curate",
    logic=_CURATE,
    notes="A zero speed is a missing reading (the feed maps 0 to null before this); speeds outside 0..200 km/h are "
    "quarantined in `clean/traffic_readings` (`SPEED_OUT_OF_RANGE`). Gaps longer than `max_gap_steps` (3 steps, 15 min) "
    "and the steps before the first / after the last reading stay `missing`. The whole table is rebuilt from the clean "
    "readings in one commit (interpolation crosses day boundaries).",
)
MODEL_LEADERBOARD = _mart(
    "model_leaderboard",
    "Every forecaster scored by a rolling-origin backtest, per horizon, with the champion",
    (
        _TRAINING_ID,
        _HORIZON,
        Column(
            "model",
            "string",
            description="`last_value`, `historical_average`, `seasonal_naive`, `linear_ridge`, `gradient_boosting`",
        ),
        Column("mae", "float", "km/h", "masked mean absolute error (only real, non-zero readings are scored: DCRNN protocol)"),
        Column("rmse", "float", "km/h", "masked root mean squared error"),
        Column("mape_pct", "float", "%", "masked mean absolute percentage error"),
        Column("scored_points", "int", description="how many (sensor, target) pairs were scored"),
        Column("rank", "int32", description="rank by MAE within the horizon"),
        Column("is_champion", "bool", description="rank 1: the model that feeds `traffic_forecast`"),
        Column("gain_vs_best_baseline_pct", "float", "%", "100 * (1 - mae / min(mae of last_value, mae of historical_average))"),
        Column("train_until_utc", "timestamp", description="the last reading the champions were refitted on"),
        Column("test_from_utc", "timestamp", description="start of the backtest (the last 20 % of the steps)"),
        Column("test_to_utc", "timestamp", description="end of the backtest"),
        Column("folds", "int32", description="consecutive blocks, each forecast by models fitted only on what came before"),
        Column("model_uri", "string", description="the stored champion (`_meta/models/...`); null for the others"),
        Column("code_version", "string", description="the package version and commit that trained it (information only)"),
        Column("params_json", "string", description="every parameter"),
        Column("input_version", "int", description="the version of `traffic_readings_clean` read"),
        Column("run_id", "string", description="the Airflow run"),
    ),
    grain="one row per training run, horizon and model",
    key=("training_id", "horizon_min", "model"),
    partition_by="training_id",
    cadence="7D",
    producer="traffic_model_training",
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
            description="`recent_speed`, `recent_trend`, `upstream`, `downstream`, `adjacent`, `time_of_day`, `weekday`, `usual_speed`",
        ),
        Column(
            "mae_increase_kmh", "float", "km/h", "how much worse the masked MAE gets with the factor's inputs shuffled (mean)"
        ),
        Column("std_kmh", "float", "km/h", "its standard deviation over the repeats"),
        Column("inputs", "int32", description="how many input columns the factor has"),
        Column("rank", "int32", description="rank by MAE increase within model and horizon"),
    ),
    grain="one row per training run, horizon, learned model and factor",
    key=("training_id", "horizon_min", "model", "factor"),
    partition_by="training_id",
    cadence="7D",
    producer="traffic_model_training",
    logic=_MODELS,
    notes="Measured on the last backtest block: all inputs of a factor are shuffled together across rows "
    "(`factor_repeats` times). `upstream` / `downstream` (adjacency-weighted mean speed of the sensors feeding / fed "
    "by this one) exist when the adjacency is directed; `adjacent` is the same either way plus the five most strongly "
    "linked sensors. The METR-LA adjacency is symmetric, so on that data the network factor is `adjacent`.",
)
TRAFFIC_FORECAST = _mart(
    "traffic_forecast",
    "The champions' speed forecasts for every sensor, origin and horizon",
    (
        _ORIGIN_DATE,
        _SENSOR,
        Column("origin_ts_utc", "timestamp", description="when the forecast is made: it uses readings up to this step only"),
        Column("target_ts_utc", "timestamp", description="origin + horizon"),
        _HORIZON,
        Column("model", "string", description="the champion that made it"),
        Column("predicted_speed_kmh", "float", "km/h", "the forecast"),
        Column("usual_speed_kmh", "float", "km/h", "the historical average at the target's local time of day (training window)"),
        Column("actual_speed_kmh", "float", "km/h", "the reading at the target when it is a real one; null when not (yet) known"),
        _TRAINING_ID,
    ),
    grain="one row per sensor, origin and horizon",
    key=("sensor_id", "origin_ts_utc", "horizon_min"),
    partition_by="origin_date",
    cadence="1h",
    producer="traffic_forecast_scoring",
    logic=_SCORE,
    notes="Scoring a date replaces that date's partition only.",
)
CONGESTION_ALERTS = _mart(
    "congestion_alerts",
    "Congestion early warnings: forecasts below the threshold or far below the usual speed",
    (
        _ORIGIN_DATE,
        _SENSOR,
        Column("target_ts_utc", "timestamp", description="when the congestion is forecast"),
        Column("origin_ts_utc", "timestamp", description="when the earliest forecast that flagged it was made"),
        Column("lead_time_min", "int32", "min", "target minus origin: how early the city could have acted"),
        Column("predicted_speed_kmh", "float", "km/h", "the forecast"),
        Column("usual_speed_kmh", "float", "km/h", "the usual speed at that time"),
        Column("threshold_kmh", "float", "km/h", "the congestion threshold in force"),
        Column("drop_pct", "float", "%", "how far below the usual speed the forecast is"),
        Column("rule", "string", description="`below_threshold`, `sharp_drop` or both joined by +"),
        Column("severity", "string", description="`severe` or `warning`"),
        _MODEL,
        _TRAINING_ID,
    ),
    grain="one row per sensor and target time that some forecast flagged",
    key=("origin_date", "sensor_id", "target_ts_utc"),
    partition_by="origin_date",
    cadence="1h",
    producer="traffic_forecast_scoring",
    logic=_SCORE,
    notes="An alert when `predicted_speed_kmh < threshold_kmh` (default 56 km/h = 35 mph, Caltrans' congested freeway) or "
    "at least `drop_ratio` (40 %) below `usual_speed_kmh`. Of the forecasts that flag the same sensor and target time "
    "the earliest is kept (the longest lead time). `severe` below `severe_threshold_kmh` (32 km/h) or at a drop of at "
    "least `severe_drop_ratio` (60 %).",
)

SECTION = Section(
    "Smart traffic",
    (TRAFFIC_READINGS_CLEAN, MODEL_LEADERBOARD, TRAFFIC_FACTORS, TRAFFIC_FORECAST, CONGESTION_ALERTS),
    intro="""Local time for the traffic marts is the city's (`TrafficParams.timezone`, America/Los_Angeles for
METR-LA). Speeds are km/h (the METR-LA feed delivers mph; converted on the way in). The inputs are
`clean/traffic_readings`, `clean/traffic_sensors` (with each sensor's `graph_index`) and
`clean/traffic_road_links` (one row per ordered pair of sensors, `weight` 0..1). Every knob is in
`pipelines/domains/traffic/params.py`; the DAGs take overrides as the `traffic` param (JSON).""",
    outro="""### Plots and run records

Each training run saves `leaderboard.png`, `factors.png` and `forecast_vs_actual.png` (the champions'
backtest forecasts against the readings for the three sensors whose speed varied most) next to its
record: `_meta/runs/traffic_model_training/<run_id>/`. Run records of all three traffic pipelines are in
`_meta/runs/<pipeline>/<run_id>.json` (code version, parameters, input versions, what was published).""",
)
