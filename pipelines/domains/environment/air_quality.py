"""The canonical hourly air-quality dataset (the feeds' YAML files map department files onto it)."""

from __future__ import annotations

from pipelines.canonical import get_dataset

DATASET = "air_quality_hourly"
CLEAN_SCHEMA = get_dataset(DATASET).arrow_schema
