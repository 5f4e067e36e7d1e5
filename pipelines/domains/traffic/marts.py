"""The traffic marts' schemas and partitioning (contracts: docs/marts.md)."""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")

READINGS_CLEAN = "traffic_readings_clean"
FORECAST = "traffic_forecast"
LEADERBOARD = "model_leaderboard"
ALERTS = "congestion_alerts"
FACTORS = "traffic_factors"

READINGS_CLEAN_SCHEMA = pa.schema([
    pa.field("sensor_id", pa.string()), pa.field("ts_utc", TS), pa.field("local_date", pa.date32()),
    pa.field("speed_kmh", pa.float64()), pa.field("status", pa.string()),
])
FORECAST_SCHEMA = pa.schema([
    pa.field("origin_date", pa.date32()), pa.field("sensor_id", pa.string()),
    pa.field("origin_ts_utc", TS), pa.field("target_ts_utc", TS), pa.field("horizon_min", pa.int32()),
    pa.field("model", pa.string()), pa.field("predicted_speed_kmh", pa.float64()),
    pa.field("usual_speed_kmh", pa.float64()), pa.field("actual_speed_kmh", pa.float64()),
    pa.field("training_id", pa.string()),
])
LEADERBOARD_SCHEMA = pa.schema([
    pa.field("training_id", pa.string()), pa.field("horizon_min", pa.int32()), pa.field("model", pa.string()),
    pa.field("mae", pa.float64()), pa.field("rmse", pa.float64()), pa.field("mape_pct", pa.float64()),
    pa.field("scored_points", pa.int64()), pa.field("rank", pa.int32()), pa.field("is_champion", pa.bool_()),
    pa.field("gain_vs_best_baseline_pct", pa.float64()), pa.field("train_until_utc", TS),
    pa.field("test_from_utc", TS), pa.field("test_to_utc", TS), pa.field("folds", pa.int32()),
    pa.field("model_uri", pa.string()), pa.field("code_version", pa.string()), pa.field("params_json", pa.string()),
    pa.field("input_version", pa.int64()), pa.field("run_id", pa.string()),
])
ALERTS_SCHEMA = pa.schema([
    pa.field("origin_date", pa.date32()), pa.field("sensor_id", pa.string()), pa.field("target_ts_utc", TS),
    pa.field("origin_ts_utc", TS), pa.field("lead_time_min", pa.int32()), pa.field("predicted_speed_kmh", pa.float64()),
    pa.field("usual_speed_kmh", pa.float64()), pa.field("threshold_kmh", pa.float64()), pa.field("drop_pct", pa.float64()),
    pa.field("rule", pa.string()), pa.field("severity", pa.string()), pa.field("model", pa.string()),
    pa.field("training_id", pa.string()),
])
FACTORS_SCHEMA = pa.schema([
    pa.field("training_id", pa.string()), pa.field("horizon_min", pa.int32()), pa.field("model", pa.string()),
    pa.field("factor", pa.string()), pa.field("mae_increase_kmh", pa.float64()), pa.field("std_kmh", pa.float64()),
    pa.field("inputs", pa.int32()), pa.field("rank", pa.int32()),
])
SCHEMAS = {
    READINGS_CLEAN: READINGS_CLEAN_SCHEMA, FORECAST: FORECAST_SCHEMA, LEADERBOARD: LEADERBOARD_SCHEMA,
    ALERTS: ALERTS_SCHEMA, FACTORS: FACTORS_SCHEMA,
}
PARTITION_BY = {
    READINGS_CLEAN: ("local_date",), FORECAST: ("origin_date",), LEADERBOARD: ("training_id",),
    ALERTS: ("origin_date",), FACTORS: ("training_id",),
}
