"""Air-quality marts from one station's clean hours: hourly AQI, daily AQI, heavy-pollution episodes. Pure.

Their columns are declared in the lake catalog (`pipelines/lake/catalog/environment.py`).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from pipelines.domains.environment import aqi as hj633
from pipelines.lake.catalog.environment import AIR_AQI_DAILY, AIR_AQI_HOURLY, AIR_AQI_MONTHLY, AIR_POLLUTION_EPISODES

TIMEZONE = "Asia/Shanghai"
IAQI_COLUMNS = ("iaqi_pm25", "iaqi_pm10", "iaqi_so2", "iaqi_no2", "iaqi_co", "iaqi_o3_1h", "iaqi_o3_8h")
POLLUTANT_OF = {
    "iaqi_pm25": "PM2.5",
    "iaqi_pm10": "PM10",
    "iaqi_so2": "SO2",
    "iaqi_no2": "NO2",
    "iaqi_co": "CO",
    "iaqi_o3_1h": "O3",
    "iaqi_o3_8h": "O3",
}
HOURLY_SCHEMA = AIR_AQI_HOURLY.arrow_schema
DAILY_SCHEMA = AIR_AQI_DAILY.arrow_schema
EPISODES_SCHEMA = AIR_POLLUTION_EPISODES.arrow_schema


def _regular_hours(clean: pd.DataFrame) -> pd.DataFrame:
    """The station's hours on a complete UTC hourly index; absent hours are NaN (used for windows only)."""
    frame = clean.set_index("ts_utc").sort_index()
    full = pd.date_range(frame.index.min(), frame.index.max(), freq="1h", tz="UTC")
    regular = frame.reindex(full)
    regular.index.name = "ts_utc"
    regular["present"] = regular.index.isin(frame.index)
    local = regular.index.tz_convert(TIMEZONE)
    regular["local_date"] = local.date
    regular["local_hour"] = local.hour
    return regular


def _mean(series: pd.Series, hours: int, min_valid: int) -> pd.Series:
    """Moving mean over the `hours` ending at each hour, valid with at least `min_valid` values."""
    return series.rolling(hours, min_periods=min_valid).mean()


def hourly_aqi(clean: pd.DataFrame) -> pd.DataFrame:
    """The hourly (real-time) AQI of every hour present in one station's clean data."""
    if clean.empty:
        return _empty(HOURLY_SCHEMA)
    hours = _regular_hours(clean)
    pm25_24h = _mean(hours["pm25_ug_m3"], 24, hj633.VALID_HOURS_24H)
    pm10_24h = _mean(hours["pm10_ug_m3"], 24, hj633.VALID_HOURS_24H)
    so2_24h = _mean(hours["so2_ug_m3"], 24, hj633.VALID_HOURS_24H)
    o3_8h = _mean(hours["o3_ug_m3"], 8, hj633.VALID_HOURS_8H)
    iaqis = pd.DataFrame(
        {
            "iaqi_pm25": hj633.PM25_24H.iaqi(pm25_24h),
            "iaqi_pm10": hj633.PM10_24H.iaqi(pm10_24h),
            "iaqi_so2": hj633.so2_hourly_iaqi(hours["so2_ug_m3"], so2_24h),
            "iaqi_no2": hj633.NO2_1H.iaqi(hours["no2_ug_m3"]),
            "iaqi_co": hj633.CO_1H.iaqi(hours["co_mg_m3"]),
            "iaqi_o3_1h": hj633.O3_1H.iaqi(hours["o3_ug_m3"]),
            "iaqi_o3_8h": hj633.O3_8H.iaqi(o3_8h),
        },
        index=hours.index,
    )
    result = pd.concat(
        [
            pd.DataFrame(
                {
                    "station": hours["station"],
                    "local_date": hours["local_date"],
                    "local_hour": hours["local_hour"],
                    "pm25_24h_ug_m3": pm25_24h,
                    "pm10_24h_ug_m3": pm10_24h,
                    "so2_24h_ug_m3": so2_24h,
                    "o3_8h_ug_m3": o3_8h,
                }
            ),
            iaqis.astype("Int16"),
            hj633.combine(iaqis, POLLUTANT_OF),
        ],
        axis=1,
    )
    return result[hours["present"].to_numpy()].reset_index()[HOURLY_SCHEMA.names]


def daily_aqi(clean: pd.DataFrame) -> pd.DataFrame:
    """The daily AQI of every local day with data at one station (24-hour means, O3 daily maxima)."""
    if clean.empty:
        return _empty(DAILY_SCHEMA)
    hours = _regular_hours(clean)
    o3_8h = _mean(hours["o3_ug_m3"], 8, hj633.VALID_HOURS_8H)
    # Only 8-hour windows that lie inside the local day count for its maximum: those ending at 08..24 h.
    in_day_8h = o3_8h.where(hours["local_hour"] >= 7)
    grouped = hours.assign(o3_8h=in_day_8h).groupby("local_date", sort=True)

    def day_mean(column: str) -> pd.Series:
        return grouped[column].mean().where(grouped[column].count() >= hj633.VALID_HOURS_24H)

    o3_max_1h = grouped["o3_ug_m3"].max().where(grouped["o3_ug_m3"].count() >= hj633.VALID_HOURS_DAILY_O3_1H)
    o3_max_8h = grouped["o3_8h"].max().where(grouped["o3_8h"].count() >= hj633.VALID_8H_MEANS_PER_DAY)
    daily = pd.DataFrame(
        {
            "valid_hours": grouped["present"].sum().astype("int8"),
            "pm25_24h_ug_m3": day_mean("pm25_ug_m3"),
            "pm10_24h_ug_m3": day_mean("pm10_ug_m3"),
            "so2_24h_ug_m3": day_mean("so2_ug_m3"),
            "no2_24h_ug_m3": day_mean("no2_ug_m3"),
            "co_24h_mg_m3": day_mean("co_mg_m3"),
            "o3_max_1h_ug_m3": o3_max_1h,
            "o3_max_8h_ug_m3": o3_max_8h,
        }
    )
    daily = daily[daily["valid_hours"] > 0]
    iaqis = pd.DataFrame(
        {
            "iaqi_pm25": hj633.PM25_24H.iaqi(daily["pm25_24h_ug_m3"]),
            "iaqi_pm10": hj633.PM10_24H.iaqi(daily["pm10_24h_ug_m3"]),
            "iaqi_so2": hj633.SO2_24H.iaqi(daily["so2_24h_ug_m3"]),
            "iaqi_no2": hj633.NO2_24H.iaqi(daily["no2_24h_ug_m3"]),
            "iaqi_co": hj633.CO_24H.iaqi(daily["co_24h_mg_m3"]),
            "iaqi_o3_1h": hj633.O3_1H.iaqi(daily["o3_max_1h_ug_m3"]),
            "iaqi_o3_8h": hj633.O3_8H.iaqi(daily["o3_max_8h_ug_m3"]),
        },
        index=daily.index,
    )
    result = pd.concat([daily, iaqis.astype("Int16"), hj633.combine(iaqis, POLLUTANT_OF)], axis=1).reset_index()
    result.insert(0, "station", clean["station"].iloc[0])
    return result[DAILY_SCHEMA.names]


def episodes(hourly: pd.DataFrame) -> pd.DataFrame:
    """Runs of consecutive hours at or above 'heavily polluted' (AQI >= 201); a missing hour ends a run."""
    heavy = hourly[hourly["aqi"].fillna(0) >= hj633.HEAVILY_POLLUTED_MIN_AQI].sort_values("ts_utc")
    if heavy.empty:
        return _empty(EPISODES_SCHEMA)
    new_run = heavy["ts_utc"].diff() != pd.Timedelta(hours=1)
    heavy = heavy.assign(run=new_run.cumsum())
    rows = []
    for _, run in heavy.groupby("run", sort=True):
        peak = run.loc[run["aqi"].astype("float64").idxmax()]
        start = run["ts_utc"].iloc[0]
        rows.append(
            {
                "station": run["station"].iloc[0],
                "episode_id": f"{run['station'].iloc[0]}-{start:%Y%m%dT%H}Z",
                "start_utc": start,
                "end_utc": run["ts_utc"].iloc[-1] + pd.Timedelta(hours=1),
                "start_local_date": run["local_date"].iloc[0],
                "hours": len(run),
                "peak_aqi": int(peak["aqi"]),
                "peak_utc": peak["ts_utc"],
                "peak_category": peak["aqi_category"],
                "mean_aqi": round(float(run["aqi"].astype("float64").mean()), 1),
                "primary_pollutant": peak["primary_pollutants"],
            }
        )
    return pd.DataFrame(rows)[EPISODES_SCHEMA.names]


def monthly_aqi(daily: pd.DataFrame) -> pd.DataFrame:
    """Per station and local month: days with a daily AQI, their mean and worst, and the days at each level."""
    days = daily[daily["aqi"].notna()]
    if days.empty:
        return _empty(AIR_AQI_MONTHLY.arrow_schema)
    month = pd.to_datetime(days["local_date"]).dt.to_period("M").dt.to_timestamp().dt.date
    aqi = days["aqi"].astype("float64")
    level = days["aqi_level"].astype("float64")
    grouped = days.assign(month=month, aqi=aqi, good=level <= 2, polluted=level >= 3, heavy=level >= 5).groupby(
        ["station", "month"], as_index=False, sort=True
    )
    monthly = grouped.agg(
        days_with_aqi=("aqi", "size"),
        mean_aqi=("aqi", "mean"),
        max_aqi=("aqi", "max"),
        days_good=("good", "sum"),
        days_polluted=("polluted", "sum"),
        days_heavily_polluted=("heavy", "sum"),
    )
    counts = ["days_with_aqi", "max_aqi", "days_good", "days_polluted", "days_heavily_polluted"]
    monthly[counts] = monthly[counts].astype("int16")
    monthly["mean_aqi"] = monthly["mean_aqi"].round(1)
    return monthly[AIR_AQI_MONTHLY.names]


def _empty(schema: pa.Schema) -> pd.DataFrame:
    """An empty frame with the mart's columns."""
    return schema.empty_table().to_pandas()
