"""The air-quality marts (HJ 633-2012): hourly and daily AQI per station, heavy-pollution episodes."""

from __future__ import annotations

from pipelines.lake.catalog.model import Column, Section, Table
from pipelines.lake.layout import Zone

AQI_LOGIC = ("pipelines.domains.environment.aqi", "pipelines.domains.environment.marts", "pipelines.domains.environment.pipeline")
_IAQI = tuple(
    Column(f"iaqi_{name}", "int16", description=f"individual index of {label} (null: no valid input)")
    for name, label in (
        ("pm25", "PM2.5"),
        ("pm10", "PM10"),
        ("so2", "SO2"),
        ("no2", "NO2"),
        ("co", "CO"),
        ("o3_1h", "O3, 1-hour"),
        ("o3_8h", "O3, 8-hour mean"),
    )
)
_INDEX = (
    *_IAQI,
    Column("aqi", "int16", description="the maximum of the available IAQIs"),
    Column("primary_pollutants", "string", description="pollutants whose IAQI equals the AQI, comma separated, when AQI > 50"),
    Column("aqi_level", "int8", description="1 Excellent, 2 Good, 3 Lightly, 4 Moderately, 5 Heavily, 6 Severely polluted"),
    Column("aqi_category", "string", description="the level's name"),
    Column("iaqi_count", "int8", description="how many IAQIs were available"),
)
_STATION = Column("station", "string", description="monitoring station")
_LOCAL_DATE = Column("local_date", "date", description="local civil date (Asia/Shanghai)")


def _mart(name: str, description: str, columns: tuple[Column, ...], grain: str, key: tuple[str, ...], notes: str = "") -> Table:
    return Table(
        Zone.CURATED,
        name,
        "environment",
        description,
        columns,
        grain=grain,
        key=key,
        partition_by=("station",),
        cadence="1D",
        producer="environment_aqi_marts",
        logic=AQI_LOGIC,
        inputs=("clean/air_quality_hourly",),
        notes=notes,
    )


AIR_AQI_HOURLY = _mart(
    "air_aqi_hourly",
    "The hourly (real-time) AQI of every station-hour",
    (
        _STATION,
        Column("ts_utc", "timestamp", description="start of the hour"),
        _LOCAL_DATE,
        Column("local_hour", "int8", description="local civil hour (0-23)"),
        Column("pm25_24h_ug_m3", "float", "ug/m3", "PM2.5 24-hour moving mean ending at this hour (null with < 20 valid hours)"),
        Column("pm10_24h_ug_m3", "float", "ug/m3", "PM10 24-hour moving mean ending at this hour (null with < 20 valid hours)"),
        Column("so2_24h_ug_m3", "float", "ug/m3", "SO2 24-hour moving mean ending at this hour (null with < 20 valid hours)"),
        Column("o3_8h_ug_m3", "float", "ug/m3", "O3 8-hour moving mean ending at this hour (null with < 6 valid hours)"),
        *_INDEX,
    ),
    grain="one row per station and hour present in the clean data",
    key=("station", "ts_utc"),
)
AIR_AQI_DAILY = _mart(
    "air_aqi_daily",
    "The daily AQI of every station and local day with data",
    (
        _STATION,
        _LOCAL_DATE,
        Column("valid_hours", "int8", description="hours of the day with data"),
        *(
            Column(f"{p}_24h_ug_m3", "float", "ug/m3", f"{label} 24-hour mean (null with fewer than 20 valid hours)")
            for p, label in (("pm25", "PM2.5"), ("pm10", "PM10"), ("so2", "SO2"), ("no2", "NO2"))
        ),
        Column("co_24h_mg_m3", "float", "mg/m3", "CO 24-hour mean (null with fewer than 20 valid hours)"),
        Column("o3_max_1h_ug_m3", "float", "ug/m3", "the day's highest 1-hour O3 (null with fewer than 20 valid hours)"),
        Column("o3_max_8h_ug_m3", "float", "ug/m3", "the day's highest 8-hour O3 mean inside the day (null with fewer than 14)"),
        *_INDEX,
    ),
    grain="one row per station and local day with data",
    key=("station", "local_date"),
)
AIR_POLLUTION_EPISODES = _mart(
    "air_pollution_episodes",
    "Heavy-pollution episodes: runs of consecutive hours with AQI >= 201",
    (
        _STATION,
        Column("episode_id", "string", description="`<station>-<start yyyymmddThh>Z`"),
        Column("start_utc", "timestamp", description="the first hour"),
        Column("end_utc", "timestamp", description="the end of the last hour (exclusive)"),
        Column("start_local_date", "date", description="local date of the first hour"),
        Column("hours", "int32", description="length of the run"),
        Column("peak_aqi", "int16", description="the highest hourly AQI"),
        Column("peak_utc", "timestamp", description="the hour of the peak"),
        Column("peak_category", "string", description="the category at the peak"),
        Column("mean_aqi", "float", description="mean hourly AQI over the run"),
        Column("primary_pollutant", "string", description="the primary pollutant(s) at the peak hour"),
    ),
    grain="one row per episode at one station",
    key=("station", "episode_id"),
    notes='An episode is a run of consecutive hours with AQI >= 201 ("heavily polluted" or worse) at one station; '
    "a missing hour or an hour without AQI ends a run.",
)

AIR_AQI_MONTHLY = _mart(
    "air_aqi_monthly",
    "The month at each station: mean and worst daily AQI, and the days at each level",
    (
        _STATION,
        Column("month", "date", description="first day of the local calendar month"),
        Column("days_with_aqi", "int16", description="days of the month that have a daily AQI"),
        Column("mean_aqi", "float", description="mean of the daily AQIs"),
        Column("max_aqi", "int16", description="the worst daily AQI"),
        Column("days_good", "int16", description="days at level 1-2 (Excellent, Good: AQI <= 100)"),
        Column("days_polluted", "int16", description="days at level 3 or worse (AQI > 100)"),
        Column("days_heavily_polluted", "int16", description="days at level 5 or worse (AQI > 200)"),
    ),
    grain="one row per station and local month with a daily AQI",
    key=("station", "month"),
    notes="From `air_aqi_daily` of the same run (days without a daily AQI are not counted).",
)

_FORECAST_LOGIC = (
    "pipelines.domains.environment.forecast",
    "pipelines.domains.environment.forecast_jobs",
    "pipelines.forecasting.backtest",
    "pipelines.forecasting.registry",
    "pipelines.forecasting.model",
)
_HORIZON_H = Column("horizon_min", "int32", "min", "how far ahead: 60 to 1,440 minutes (1 to 24 hours)")
_FORECAST_INPUTS = ("curated/air_aqi_hourly", "clean/air_quality_hourly", "curated/model_leaderboard")

AIR_AQI_FORECAST = Table(
    Zone.CURATED,
    "air_aqi_forecast",
    "environment",
    "Every candidate model's hourly AQI forecast 1-24 h ahead per station, with its 90 % interval; the champion's flagged",
    (
        Column("origin_date", "date", description="local date (Asia/Shanghai) of the forecast's origin"),
        _STATION,
        Column("origin_ts_utc", "timestamp", description="the last hour the forecast knew"),
        Column("target_ts_utc", "timestamp", description="origin + horizon"),
        _HORIZON_H,
        Column("model", "string", description="`persistence`, `climatology`, `linear_ridge` or `gradient_boosting`"),
        Column("predicted", "float", description="the forecast AQI"),
        Column("lower", "float", description="lower end of the 90 % prediction interval"),
        Column("upper", "float", description="upper end of the 90 % prediction interval"),
        Column("actual", "float", description="the hourly AQI at the target when known at scoring; null when not yet"),
        Column("is_champion", "bool", description="the horizon's champion when the forecast was made"),
        Column("training_id", "string", description="the training run whose model made it"),
    ),
    grain="one row per station, origin, horizon and model",
    key=("station", "origin_ts_utc", "horizon_min", "model"),
    partition_by=("origin_date",),
    cadence="1D",
    producer="environment_aqi_forecast_scoring",
    inputs=_FORECAST_INPUTS,
    logic=_FORECAST_LOGIC,
    time_column="target_ts_utc",
    notes="Scoring forecasts from the latest `score_hours` hours known as of its hour (default 24) and replaces "
    "those origins' forecasts; the other origins of their dates stay. The interval's half-width is the split-conformal 90 % quantile of the backtest's absolute errors.",
)

AIR_POLLUTION_WARNINGS = Table(
    Zone.CURATED,
    "air_pollution_warnings",
    "environment",
    "Heavy-pollution early warnings (forecast AQI >= 201) per station and hour, with their lead time",
    (
        Column("origin_date", "date", description="local date of the earliest forecast that warned"),
        _STATION,
        Column("target_ts_utc", "timestamp", description="the hour forecast to be heavily polluted or worse"),
        Column("origin_ts_utc", "timestamp", description="when the earliest warning forecast was made"),
        Column("lead_time_min", "int32", "min", "target minus origin: how early the city was warned"),
        Column("predicted", "float", description="the champion's forecast AQI"),
        Column("upper", "float", description="upper end of its 90 % interval"),
        Column("threshold", "int16", description="the warning threshold: 201 (HJ 633-2012: heavily polluted)"),
        Column(
            "severity",
            "string",
            description="`severe` (forecast >= 301), `heavy` (forecast >= 201), `watch` (only the interval's upper end >= 201)",
        ),
        Column("basis", "string", description="`point` (the forecast) or `interval` (its upper end)"),
        Column("model", "string", description="the champion that warned"),
        Column("training_id", "string", description="the training run whose model warned"),
    ),
    grain="one row per station and target hour that some champion forecast warned of",
    key=("origin_date", "station", "target_ts_utc"),
    partition_by=("origin_date",),
    cadence="1D",
    producer="environment_aqi_forecast_scoring",
    inputs=("curated/air_aqi_forecast",),
    logic=_FORECAST_LOGIC,
    time_column="target_ts_utc",
    notes="The earliest warning for a station and hour is kept (the longest lead time), across the runs of an origin "
    "date too; a point warning wins over an interval one. Hit rate and false alarms on the held-back last year: `make bench-aqi`.",
)

_QUALITY_LOGIC = (
    "pipelines.domains.environment.noise",
    "pipelines.domains.environment.water_quality",
    "pipelines.domains.environment.monitoring",
)

NOISE_EXCEEDANCES = Table(
    Zone.CURATED,
    "noise_exceedances",
    "environment",
    "Day (Ld) and night (Ln) noise levels per sensor and local date against the GB 3096-2008 limits of its zone",
    (
        Column("sensor_id", "string", description="the noise sensor"),
        Column("zone_class", "string", description="its acoustic zone class: 0, 1, 2, 3, 4a, 4b"),
        Column(
            "local_date", "date", description="local date in the zone the feeds declare; a night counts for the date it starts on"
        ),
        Column("period", "string", description="`day` (06:00-22:00) or `night` (22:00-06:00)"),
        Column("leq_db", "float", "dB(A)", "equivalent continuous level over the period's hours: Ld or Ln (energy average)"),
        Column("hours", "int16", description="hourly levels behind it (16 in a whole day, 8 in a whole night)"),
        Column("complete", "bool", description="enough hours to judge: 12 of 16 by day, 6 of 8 by night (params)"),
        Column("limit_db", "float", "dB(A)", "the zone's limit for the period (GB 3096-2008 Table 1)"),
        Column("excess_db", "float", "dB(A)", "leq_db - limit_db (positive: above the limit)"),
        Column("exceeded", "bool", description="above the limit; null when the period is not complete"),
        Column("lmax_db", "float", "dB(A)", "the night's highest LAFmax (null by day)"),
        Column("lmax_limit_db", "float", "dB(A)", "night limit + 15 dB(A): the standard's bound for sudden noise"),
        Column("lmax_exceeded", "bool", description="the night's LAFmax above that bound (null by day or without LAFmax)"),
        Column("standard", "string", description="the standard judged against: GB 3096-2008"),
    ),
    grain="one row per sensor, local date and period",
    key=("sensor_id", "local_date", "period"),
    partition_by=(),
    cadence="1D",
    producer="environment_noise_water_marts",
    inputs=("clean/noise_levels",),
    logic=_QUALITY_LOGIC,
    time_column=None,
    notes="Levels add as energy: Leq = 10 log10(mean(10^(L/10))) over the period's hourly LAeq. The limits are data: "
    "`pipelines/domains/environment/standards/gb3096_2008_noise_limits.csv` (day 50/55/60/65/70/70, night "
    "40/45/50/55/55/60 dB(A) for classes 0/1/2/3/4a/4b).",
)

WATER_QUALITY_CLASS = Table(
    Zone.CURATED,
    "water_quality_class",
    "environment",
    "The GB 3838-2002 class of each station's surface water per local day, and the parameters that limit it",
    (
        Column("station", "string", description="the monitoring station"),
        Column("water_body", "string", description="river or lake (lakes: their own phosphorus limits)"),
        Column("local_date", "date", description="local date in the zone the feeds declare"),
        Column("samples", "int16", description="samples in the day"),
        Column("do_mg_l", "float", "mg/L", "daily mean dissolved oxygen"),
        Column("codmn_mg_l", "float", "mg/L", "daily mean permanganate index"),
        Column("nh3n_mg_l", "float", "mg/L", "daily mean ammonia nitrogen"),
        Column("tp_mg_l", "float", "mg/L", "daily mean total phosphorus"),
        Column("class_code", "int8", description="1-5 for classes I-V, 6 worse than V, 0 nothing measured"),
        Column("class_name", "string", description="I, II, III, IV, V or `worse than V`"),
        Column("limiting_parameters", "string", description="the parameters at the day's class, comma separated"),
        Column("parameters_judged", "int8", description="how many parameters had a value"),
        Column("standard", "string", description="the standard judged against: GB 3838-2002"),
    ),
    grain="one row per station and local date",
    key=("station", "local_date"),
    partition_by=(),
    cadence="1D",
    producer="environment_noise_water_marts",
    inputs=("clean/water_quality_samples",),
    logic=_QUALITY_LOGIC,
    time_column=None,
    notes="Each parameter's daily mean gets the best class whose limit it meets (dissolved oxygen: at least the "
    "limit; the others: at most); the day's class is the worst parameter's. The limits are data: "
    "`pipelines/domains/environment/standards/gb3838_2002_surface_water.csv`.",
)

QUALITY_SECTION = Section(
    "Noise and surface water",
    (NOISE_EXCEEDANCES, WATER_QUALITY_CLASS),
    intro="Built by `environment_noise_water_marts` from `clean/noise_levels` and `clean/water_quality_samples` "
    "whenever either is published; each publish replaces the whole mart (a few rows per sensor or station and day).",
)


SECTION = Section(
    "Air quality",
    (AIR_AQI_HOURLY, AIR_AQI_DAILY, AIR_POLLUTION_EPISODES, AIR_AQI_MONTHLY, AIR_AQI_FORECAST, AIR_POLLUTION_WARNINGS),
    intro="Built from `clean/air_quality_hourly` one station per task; each publish replaces only the stations "
    "recomputed. `local_date` / `local_hour` are Beijing civil time (Asia/Shanghai, UTC+8, no DST).",
    outro="""### How the AQI is computed (HJ 633-2012, GB 3095-2012), and the choices we made

- IAQI = (IAQI_hi - IAQI_lo) / (BP_hi - BP_lo) x (C - BP_lo) + IAQI_lo within the breakpoint segment
  holding C, rounded **up** to a whole number. AQI = max IAQI. Primary pollutant(s) when AQI > 50.
- **Daily index**: 24-hour means of PM2.5, PM10, SO2, NO2 and CO with the 24-hour breakpoints; O3 with
  the daily maximum 1-hour value (1-hour breakpoints) and the daily maximum 8-hour mean (8-hour
  breakpoints). The 1-hour breakpoints of SO2, NO2 and CO are not used for the daily index.
- **Hourly index** (choice: as China's real-time reports): SO2, NO2, CO and O3 1-hour values with
  the 1-hour breakpoints, the O3 8-hour moving mean with the 8-hour breakpoints, and PM2.5 / PM10 with
  the 24-hour breakpoints applied to the 24-hour moving mean ending at that hour (the standard has no
  1-hour breakpoints for particles).
- **SO2 above 800 ug/m3 (1 hour)**: no 1-hour index; the SO2 index comes from its 24-hour mean.
- **O3 8-hour mean above 800 ug/m3**: no 8-hour index; the O3 1-hour index stands.
- **Beyond the top breakpoint** (e.g. PM2.5 > 500 ug/m3): IAQI 500, the end of the scale (choice).
- **Validity** (GB 3095-2012 Table 4): a 24-hour mean needs 20 valid hours; an 8-hour mean 6; the daily
  maximum 8-hour mean takes only the windows inside the local day (ending at 08:00 .. 24:00) and needs
  14 valid ones; the daily maximum 1-hour O3 needs 20 valid hours (choice).
- An hour labelled `hour = h` in the source covers [h:00, h+1:00) local time (choice: the PRSA files
  do not say).""",
)
