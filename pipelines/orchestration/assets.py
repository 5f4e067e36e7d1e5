"""Airflow Assets of the lake's datasets and marts (logical URIs: the lake's location is configuration)."""

from __future__ import annotations

from airflow.sdk import Asset


def lake_asset(zone: str, dataset: str) -> Asset:
    """The Asset of one table of the lake."""
    return Asset(uri=f"citylake://{zone}/{dataset}", name=dataset, group="citylake")


AIR_QUALITY_CLEAN = lake_asset("clean", "air_quality_hourly")
AIR_AQI_HOURLY = lake_asset("curated", "air_aqi_hourly")
AIR_AQI_DAILY = lake_asset("curated", "air_aqi_daily")
AIR_POLLUTION_EPISODES = lake_asset("curated", "air_pollution_episodes")
AIR_QUALITY_MARTS = (AIR_AQI_HOURLY, AIR_AQI_DAILY, AIR_POLLUTION_EPISODES)

TRAFFIC_READINGS = lake_asset("clean", "traffic_readings")
TRAFFIC_READINGS_CLEAN = lake_asset("curated", "traffic_readings_clean")
MODEL_LEADERBOARD = lake_asset("curated", "model_leaderboard")
TRAFFIC_FACTORS = lake_asset("curated", "traffic_factors")
TRAFFIC_FORECAST = lake_asset("curated", "traffic_forecast")
CONGESTION_ALERTS = lake_asset("curated", "congestion_alerts")

CRIME_INCIDENTS = lake_asset("clean", "crime_incidents")
CRIME_HOTSPOTS = lake_asset("curated", "crime_hotspots")
CASE_RECORDS = lake_asset("clean", "case_records")
CASE_PERSONS = lake_asset("clean", "case_persons")
CRIME_RULES = lake_asset("curated", "crime_rules")
