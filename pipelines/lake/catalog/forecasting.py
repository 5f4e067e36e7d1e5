"""The marts every forecasting domain shares: live scores of every candidate, and the champion changes."""

from __future__ import annotations

from pipelines.lake.catalog.model import Column, Section, Table
from pipelines.lake.layout import Zone

_LOGIC = (
    "pipelines.forecasting.metrics",
    "pipelines.forecasting.live",
    "pipelines.forecasting.champions",
    "pipelines.forecasting.loop",
)
_DOMAIN = Column(
    "domain", "string", description="the forecasting domain: `traffic`, `environment` (air quality) or `energy` (loads)"
)
_MEASURE = Column("measure", "string", description="what is forecast, e.g. `speed_kmh`")
_HORIZON = Column("horizon_min", "int32", "min", "how far ahead")
_TRAINING = Column("training_id", "string", description="the training run whose models made the forecasts")
_RUN = Column("run_id", "string", description="the Airflow run that scored or decided")
# the live scoring runs in each domain's scoring DAG (traffic: before it forecasts with the champions it decides)
_PRODUCER = "traffic_forecast_scoring"
_SHARED_WITH = ("environment_aqi_forecast_scoring", "energy_load_forecast_scoring", "emergency_calls_forecast_scoring")
_INPUTS = (
    "curated/traffic_forecast",
    "curated/traffic_readings_clean",
    "curated/air_aqi_forecast",
    "curated/air_aqi_hourly",
    "curated/energy_load_forecast",
    "clean/energy_readings",
    "clean/building_meter_readings",
    "curated/emergency_call_forecast",
    "clean/emergency_call_volumes",
    "curated/model_leaderboard",
)

MODEL_LIVE_SCORES = Table(
    Zone.CURATED,
    "model_live_scores",
    "forecasting",
    "Every candidate model's forecasts scored against what happened, per horizon and day",
    (
        _DOMAIN,
        _MEASURE,
        Column("unit", "string", description="the measure's unit (errors are in it)"),
        _TRAINING,
        Column("model", "string", description="the candidate model"),
        _HORIZON,
        Column("day", "date", description="local date of the forecasts' targets"),
        Column("mae", "float", description="masked mean absolute error in `unit`, on the readings that arrived"),
        Column("rmse", "float", description="masked root mean squared error in `unit`"),
        Column("bias", "float", description="mean of forecast minus actual in `unit`: positive when too high"),
        Column("coverage_pct", "float", "%", "share of actuals inside the 90 % prediction interval (target: 90)"),
        Column("points", "int", description="how many (series, target) pairs were scored"),
        Column("is_champion", "bool", description="the model was the champion when it made these forecasts"),
        _RUN,
    ),
    grain="one row per domain, measure, training, model, horizon and target day",
    key=("domain", "measure", "training_id", "model", "horizon_min", "day"),
    partition_by=("domain", "measure", "day"),
    cadence="1D",
    producer=_PRODUCER,
    shared_with=_SHARED_WITH,
    inputs=_INPUTS,
    logic=_LOGIC,
    time_column=None,
    notes="Rescored as readings arrive: a run replaces the days its window covers. The same metrics as the backtest "
    "(`model_leaderboard`), so backtest and live errors compare like for like.",
)

MODEL_CHANGES = Table(
    Zone.CURATED,
    "model_changes",
    "forecasting",
    "Champion switches and drift warnings decided on live errors, with their evidence",
    (
        _DOMAIN,
        _MEASURE,
        _TRAINING,
        _HORIZON,
        Column("kind", "string", description="`switch` (a challenger took over) or `drift` (retraining was triggered)"),
        Column("champion", "string", description="the champion before the decision"),
        Column("challenger", "string", description="the model that took over; null for drift"),
        Column("champion_live_mae", "float", description="the champion's live MAE over the window"),
        Column("challenger_live_mae", "float", description="the challenger's live MAE over the window"),
        Column("backtest_mae", "float", description="the champion's backtest MAE (drift compares against it)"),
        Column("window_from", "date", description="first target day of the evidence"),
        Column("window_to", "date", description="last target day of the evidence"),
        Column("champion_points", "int", description="points behind the champion's live MAE"),
        Column("challenger_points", "int", description="points behind the challenger's live MAE"),
        Column("margin_pct", "float", "%", "the rule: how much better a challenger must be"),
        Column("drift_factor", "float", description="the rule: live MAE / backtest MAE that counts as drift"),
        Column("decided_at_utc", "timestamp", description="the hour the rule decided (a replayed run's own hour)"),
        _RUN,
    ),
    grain="one row per domain, measure, training, horizon, kind and evidence window",
    key=("domain", "measure", "training_id", "horizon_min", "kind", "window_to"),
    partition_by=("domain", "measure"),
    producer=_PRODUCER,
    shared_with=_SHARED_WITH,
    inputs=("curated/model_live_scores", "curated/model_leaderboard"),
    logic=_LOGIC,
    time_column=None,
    notes="Rule (`ChampionRule`): a challenger whose live MAE over the last `window_days` days is at least "
    "`margin_pct` % below the champion's, both with `min_points` scored points, takes over (exactly at the margin "
    "counts). A champion whose live MAE reaches `drift_factor` x its backtest MAE has drifted: the domain retrains. "
    "No cadence: a row is an event, and a quiet table means the champions held.",
)

SECTION = Section(
    "Model comparison and early warning (every forecasting domain)",
    (MODEL_LIVE_SCORES, MODEL_CHANGES),
    intro="""Every candidate model forecasts on every scoring run; when the readings arrive, the forecasts are
scored (`model_live_scores`) and the champion rule decides switches and drift (`model_changes`). Models live in
the registry (`_meta/models/<training pipeline>/<training_id>/*.skops`, each with a `.json` card).""",
)
