"""The canonical hourly air-quality dataset (the feeds' YAML files map department files onto it)."""

from __future__ import annotations

from pipelines.canonical import get_dataset

DATASET = "air_quality_hourly"
CANONICAL = get_dataset(DATASET)
PARTITION_BY = CANONICAL.partition_by
KEY = CANONICAL.key
POLLUTANTS = ("pm25_ug_m3", "pm10_ug_m3", "so2_ug_m3", "no2_ug_m3", "co_mg_m3", "o3_ug_m3")
CLEAN_SCHEMA = CANONICAL.arrow_schema
