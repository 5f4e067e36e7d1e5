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

# How often each mart is expected to be republished: the cadence of what it is built from. The lake page
# marks a mart older than this late (clean and quarantine tables take their feeds' `cadence`).
MART_CADENCE = {
    **{mart.name: "1D" for mart in AIR_QUALITY_MARTS},
    TRAFFIC_READINGS_CLEAN.name: "1h",
    TRAFFIC_FORECAST.name: "1h",
    CONGESTION_ALERTS.name: "1h",
    MODEL_LEADERBOARD.name: "7D",
    TRAFFIC_FACTORS.name: "7D",
    CRIME_HOTSPOTS.name: "1D",
    CRIME_RULES.name: "1D",
}
