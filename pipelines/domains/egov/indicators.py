"""The city's indicators, each declared once: what it measures (its definition and unit, in words a council reads),
which mart it is computed from, and how (a pure function of that mart's rows). Targets are the city's policy and
live in `targets.csv` (or the file CITYLAKE_EGOV_TARGETS names).

`assemble` turns the computed values into the mart's rows: each period's value beside the period before, its traffic
light against the target, whether it is the latest complete period, and its lineage (the mart and the Delta version
it was computed from, when that version was published, whether that is stale).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.domains.egov.periods import PERIOD_COLUMNS, by_calendar, by_pandemic_week, period_start
from pipelines.lake.catalog import Table, Zone, get_table

TARGETS_FILE = "targets.csv"
CITY = "city"


@dataclass(frozen=True)
class IndicatorParams:
    """How the indicators are computed and judged: a DAG's params."""

    timezone: str = "Asia/Shanghai"  # the city's civil time: the days of marts that keep UTC instants
    grace_hours: float = 0.0  # how long past its expected cadence a source mart may be before its indicators are stale
    congestion_ratio: float = 0.6  # an hour is congested below this share of the sensor's free-flow speed
    congestion_measure: str = "speed_kmh"  # the measure of curated/traffic_readings_clean congestion is judged on

    @classmethod
    def from_dict(cls, values: Mapping[str, object]) -> IndicatorParams:
        """From a DAG's params: each value converted to its field's type; an unknown name is an error."""
        defaults = cls()
        unknown = sorted(set(values) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown indicator params {unknown}; known: {', '.join(f.name for f in fields(cls))}")
        return cls(**{name: type(getattr(defaults, name))(value) for name, value in values.items()})


Compute = Callable[[pd.DataFrame, IndicatorParams], pd.DataFrame]


@dataclass(frozen=True)
class Indicator:
    """One indicator: its meaning, its source mart and the columns it reads, and how it is computed."""

    id: str
    name: str
    definition: str
    unit: str
    better: str  # "higher" or "lower"; "" when neither is better (a count the city watches)
    source: str  # the mart, `zone/name`
    columns: tuple[str, ...]
    compute: Compute  # the source's rows -> PERIOD_COLUMNS (and optionally `unit`)
    headline: str  # the grain the weekly brief shows
    filters: Callable[[IndicatorParams], tuple[tuple[str, str, object], ...]] = lambda params: ()  # rows it reads

    @property
    def table(self) -> Table:
        zone, name = self.source.split("/")
        return get_table(Zone(zone), name)


# --- the computations (pure) -------------------------------------------------------------------------------------


def _days(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.tz_localize(None).dt.normalize() if len(values) else pd.Series(dtype="datetime64[ns]")


def _local_days(instants: pd.Series, timezone: str) -> pd.Series:
    return pd.to_datetime(instants, utc=True).dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()


def city_aqi(frame: pd.DataFrame) -> pd.DataFrame:
    """The city's AQI per local day: the mean of its stations' daily AQI."""
    rows = frame.dropna(subset=["aqi"])
    daily = rows.groupby(_days(rows["local_date"]))["aqi"].mean()
    return pd.DataFrame({"day": daily.index, "area": CITY, "x": daily.to_numpy()})


def air_city_aqi(frame: pd.DataFrame, params: IndicatorParams) -> pd.DataFrame:
    return by_calendar(city_aqi(frame), ("day",), np.mean)


def air_good_days_share(frame: pd.DataFrame, params: IndicatorParams) -> pd.DataFrame:
    return by_calendar(city_aqi(frame), ("week", "month"), lambda x: 100.0 * float((x <= 100).mean()))


def air_heavy_pollution_days(frame: pd.DataFrame, params: IndicatorParams) -> pd.DataFrame:
    return by_calendar(city_aqi(frame), ("month",), lambda x: float((x > 200).sum()))


def congested_hours(frame: pd.DataFrame, ratio: float) -> pd.DataFrame:
    """Per local day: the hours a sensor's hourly mean speed was below `ratio` of its free-flow speed (the 85th
    percentile of its hourly means), per sensor reporting that day."""
    rows = frame.dropna(subset=["value"])
    if rows.empty:
        return pd.DataFrame(columns=["day", "area", "x"])
    hour = pd.to_datetime(rows["ts_utc"], utc=True).dt.floor("h").rename("hour")
    hourly = rows.groupby(["sensor_id", hour]).agg(speed=("value", "mean"), day=("local_date", "first")).reset_index()
    hourly["free_flow"] = hourly.groupby("sensor_id")["speed"].transform(lambda s: s.quantile(0.85))
    hourly["day"] = _days(hourly["day"])
    hourly["congested"] = hourly["speed"] < ratio * hourly["free_flow"]
    per_day = hourly.groupby("day").agg(congested=("congested", "sum"), sensors=("sensor_id", "nunique"))
    return pd.DataFrame({"day": per_day.index, "area": "network", "x": (per_day["congested"] / per_day["sensors"]).to_numpy()})


def traffic_congestion_hours(frame: pd.DataFrame, params: IndicatorParams) -> pd.DataFrame:
    return by_calendar(congested_hours(frame, params.congestion_ratio), ("day", "week"), np.mean)


def traffic_forecast_mae(frame: pd.DataFrame, params: IndicatorParams) -> pd.DataFrame:
    rows = frame[(frame["domain"] == "traffic") & frame["is_champion"].fillna(False).astype(bool)].dropna(subset=["mae"])
    rows = rows[rows["points"] > 0]
    weighted = rows.assign(w=rows["mae"] * rows["points"]).groupby([_days(rows["day"]), "measure"])[["w", "points"]].sum()
    daily = (weighted["w"] / weighted["points"]).rename("x").reset_index().rename(columns={"measure": "area"})
    daily.columns = ["day", "area", "x"]
    units = rows.drop_duplicates("measure").set_index("measure")["unit"]
    out = by_calendar(daily, ("day", "week"), np.mean)
    return out.assign(unit=out["area"].map(units))


def crime_incidents(frame: pd.DataFrame, params: IndicatorParams) -> pd.DataFrame:
    """Incidents per period (its own granularity) and police district, and the city's total; cells the mart
    suppressed are not counted."""
    rows = frame.dropna(subset=["incidents"])
    per_district = rows.groupby(["granularity", "period", "district"])["incidents"].sum().reset_index()
    city = per_district.groupby(["granularity", "period"])["incidents"].sum().reset_index().assign(district=CITY)
    out = pd.concat([per_district, city], ignore_index=True).rename(columns={"granularity": "grain", "district": "area"})
    starts = out["period"].map(period_start)
    return out.assign(
        value=out["incidents"].astype(float),
        period_start=starts.dt.date,
        complete=True,
        order=starts.map(pd.Timestamp.toordinal),
    )[PERIOD_COLUMNS]


def urban_on_time_rate(frame: pd.DataFrame, params: IndicatorParams) -> pd.DataFrame:
    """Cases disposed of within their class's deadline, of the cases judged, per month and district and the city."""
    rows = frame.assign(day=_days(frame["month"]))
    sums = rows.groupby(["day", "district"])[["on_time", "judged"]].sum().reset_index()
    city = sums.groupby("day")[["on_time", "judged"]].sum().reset_index().assign(district=CITY)
    both = pd.concat([sums, city], ignore_index=True)
    both = both[both["judged"] > 0]
    daily = pd.DataFrame({"day": both["day"], "area": both["district"], "x": 100.0 * both["on_time"] / both["judged"]})
    # urban_kpis holds one row per month already: its months are whole unless it is the source's last
    out = by_calendar(daily, ("month",), np.mean, data_through=daily["day"].max() + pd.offsets.MonthEnd(0))
    return out


def emergency_incidents(frame: pd.DataFrame, params: IndicatorParams) -> pd.DataFrame:
    days = _local_days(frame["first_report_utc"], params.timezone)
    daily = days.value_counts().sort_index()
    series = pd.DataFrame({"day": daily.index, "area": CITY, "x": daily.to_numpy().astype(float)})
    return by_calendar(series, ("day", "week"), np.sum)


def emergency_warnings(frame: pd.DataFrame, params: IndicatorParams) -> pd.DataFrame:
    """Hours of a line warned of (a surge or calls over capacity), counted once however many forecasts warned."""
    warned = frame.drop_duplicates(["line_id", "target_ts_utc"])
    daily = _local_days(warned["target_ts_utc"], params.timezone).value_counts().sort_index()
    series = pd.DataFrame({"day": daily.index, "area": CITY, "x": daily.to_numpy().astype(float)})
    return by_calendar(series, ("day", "week"), np.sum)


def _group_peaks(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby([_days(frame["local_date"]), "group_id"])[["group_peak_before_kw", "group_peak_after_kw"]].first()


def electricity_group_peak_kw(frame: pd.DataFrame, params: IndicatorParams) -> pd.DataFrame:
    peaks = _group_peaks(frame).groupby(level=0)["group_peak_before_kw"].sum()
    return by_calendar(pd.DataFrame({"day": peaks.index, "area": CITY, "x": peaks.to_numpy()}), ("day", "week"), np.max)


def electricity_peak_reduction_pct(frame: pd.DataFrame, params: IndicatorParams) -> pd.DataFrame:
    peaks = _group_peaks(frame)
    peaks = peaks[peaks["group_peak_before_kw"] > 0]
    reduction = 100.0 * (1 - peaks["group_peak_after_kw"] / peaks["group_peak_before_kw"])
    daily = reduction.groupby(level=0).mean()
    return by_calendar(pd.DataFrame({"day": daily.index, "area": CITY, "x": daily.to_numpy()}), ("day", "week"), np.mean)


def health_positivity(frame: pd.DataFrame, params: IndicatorParams) -> pd.DataFrame:
    """Positives / tests over the week's days whose counts were published (a withheld day is left out)."""
    days = frame[(frame["dimension"] == "age_band") & (frame["category"] == "all") & frame["pandemic_day"].notna()]
    days = days.dropna(subset=["tests", "positives"]).assign(area=CITY)

    def positivity(week: pd.DataFrame) -> float:
        tests = float(week["tests"].sum())
        return 100.0 * float(week["positives"].sum()) / tests if tests else float("nan")

    return by_pandemic_week(days[["pandemic_day", "area", "tests", "positives"]], positivity)


def health_signal_days(frame: pd.DataFrame, params: IndicatorParams) -> pd.DataFrame:
    flags = frame[["c1_signal", "c2_signal", "c3_signal", "cusum_signal"]].fillna(False).astype(bool).any(axis=1)
    days = pd.DataFrame({"pandemic_day": frame["pandemic_day"], "area": CITY, "signal": flags})
    return by_pandemic_week(days, lambda week: float(week["signal"].sum()))


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "air_city_aqi",
        "Air quality index",
        "The city's AQI of a local day: the mean of its monitoring stations' daily AQI (HJ 633-2012).",
        "AQI",
        "lower",
        "curated/air_aqi_daily",
        ("local_date", "aqi"),
        air_city_aqi,
        "day",
    ),
    Indicator(
        "air_good_days_share",
        "Good-air days",
        "Share of the period's days whose city AQI was 100 or less (excellent or good).",
        "%",
        "higher",
        "curated/air_aqi_daily",
        ("local_date", "aqi"),
        air_good_days_share,
        "week",
    ),
    Indicator(
        "air_heavy_pollution_days",
        "Heavy-pollution days",
        "Days of the month whose city AQI was above 200 (heavily or severely polluted).",
        "days",
        "lower",
        "curated/air_aqi_daily",
        ("local_date", "aqi"),
        air_heavy_pollution_days,
        "month",
    ),
    Indicator(
        "traffic_congestion_hours",
        "Congestion hours",
        "Hours a sensor's hourly mean speed (the `congestion_measure` param, default `speed_kmh`) was below 60 % (the "
        "`congestion_ratio` param) of its free-flow speed (its "
        "85th percentile), per sensor reporting that day; a week's figure is the mean of its days.",
        "h per sensor",
        "lower",
        "curated/traffic_readings_clean",
        ("sensor_id", "ts_utc", "local_date", "value"),
        traffic_congestion_hours,
        "week",
        filters=lambda params: (("measure", "=", params.congestion_measure),),
    ),
    Indicator(
        "traffic_forecast_mae",
        "Traffic forecast error",
        "Mean absolute error of the champion forecasts against what was measured, weighted by the points scored, per "
        "day (a week: the mean of its days).",
        "",
        "lower",
        "curated/model_live_scores",
        ("domain", "measure", "unit", "day", "mae", "points", "is_champion"),
        traffic_forecast_mae,
        "week",
        filters=lambda params: (("domain", "=", "traffic"),),
    ),
    Indicator(
        "crime_incidents",
        "Recorded crimes",
        "Incidents recorded in the period (the hotspot mart's granularity) per police district and in the city; cells "
        "the mart suppressed are not counted.",
        "incidents",
        "",
        "curated/crime_hotspots",
        ("period", "granularity", "district", "incidents"),
        crime_incidents,
        "",
    ),
    Indicator(
        "urban_on_time_rate",
        "City-management cases on time",
        "Share of the month's judged cases disposed of within their class's deadline, per district and in the city.",
        "%",
        "higher",
        "curated/urban_kpis",
        ("month", "district", "on_time", "judged"),
        urban_on_time_rate,
        "month",
    ),
    Indicator(
        "emergency_incidents",
        "Emergency incidents",
        "Incidents fused from every channel, by the local day of their first report.",
        "incidents",
        "",
        "curated/emergency_incidents",
        ("incident_id", "first_report_utc"),
        emergency_incidents,
        "week",
    ),
    Indicator(
        "emergency_warnings",
        "Early warnings",
        "Hours of a call line warned of (a surge or calls over staffed capacity), by the local day of the hour warned of.",
        "warned hours",
        "",
        "curated/emergency_warnings",
        ("line_id", "target_ts_utc"),
        emergency_warnings,
        "week",
    ),
    Indicator(
        "electricity_group_peak_kw",
        "Electricity peak",
        "The sum over building groups of each group's peak demand of the day before shifting (a week: its highest day).",
        "kW",
        "",
        "curated/energy_load_shifting",
        ("local_date", "group_id", "group_peak_before_kw", "group_peak_after_kw"),
        electricity_group_peak_kw,
        "week",
    ),
    Indicator(
        "electricity_peak_reduction_pct",
        "Peak shaved by shifting load",
        "How much lower each building group's peak is when its flexible load is shifted within the day's window, "
        "averaged over the groups (a week: the mean of its days).",
        "%",
        "higher",
        "curated/energy_load_shifting",
        ("local_date", "group_id", "group_peak_before_kw", "group_peak_after_kw"),
        electricity_peak_reduction_pct,
        "week",
    ),
    Indicator(
        "health_positivity",
        "Test positivity",
        "Positive tests of all tests in the pandemic week, over the days whose counts were published (k people or more).",
        "%",
        "lower",
        "curated/health_testing_daily",
        ("dimension", "pandemic_day", "category", "tests", "positives"),
        health_positivity,
        "pandemic_week",
    ),
    Indicator(
        "health_signal_days",
        "Outbreak signal days",
        "Days of the pandemic week on which any outbreak signal fired (CDC EARS C1, C2, C3 or the CUSUM).",
        "days",
        "lower",
        "curated/health_signals",
        ("pandemic_day", "c1_signal", "c2_signal", "c3_signal", "cusum_signal"),
        health_signal_days,
        "pandemic_week",
    ),
)


def get_indicator(indicator_id: str) -> Indicator:
    """An indicator by id, with the known ids when it is not one."""
    for indicator in INDICATORS:
        if indicator.id == indicator_id:
            return indicator
    raise KeyError(f"no indicator {indicator_id!r}; known: {', '.join(i.id for i in INDICATORS)}")


# --- targets (the city's policy) ----------------------------------------------------------------------------------


def read_targets(text: str) -> pd.DataFrame:
    """The targets file: one row per indicator (target, alert, basis), every declared indicator and nothing else."""
    targets = pd.read_csv(io.StringIO(text), comment="#", dtype={"indicator": str, "basis": str}, keep_default_na=True)
    known = {i.id for i in INDICATORS}
    unknown = sorted(set(targets["indicator"]) - known)
    missing = sorted(known - set(targets["indicator"]))
    if unknown or missing:
        raise ValueError(f"targets: unknown indicators {unknown}, indicators without a row {missing}")
    half = targets["target"].isna() != targets["alert"].isna()
    if half.any():
        raise ValueError(f"targets: give both a target and an alert level, or neither: {sorted(targets.loc[half, 'indicator'])}")
    return targets.assign(basis=targets["basis"].fillna("")).set_index("indicator")


def targets(path: str | None = None) -> pd.DataFrame:
    """The city's targets: the file CITYLAKE_EGOV_TARGETS names, else the project's `targets.csv` (read at each call:
    a city's edit is seen by the next run)."""
    chosen = path or os.environ.get("CITYLAKE_EGOV_TARGETS")
    if chosen:
        return read_targets(Path(chosen).read_text(encoding="utf-8"))
    return read_targets(resources.files("pipelines.domains.egov").joinpath(TARGETS_FILE).read_text(encoding="utf-8"))


def traffic_light(value: float, target: float, alert: float, better: str) -> str:
    """green at or better than the target, red worse than the alert level, amber between; `no target`, `no value`."""
    if value is None or pd.isna(value):
        return "no value"
    if pd.isna(target) or not better:
        return "no target"
    if better == "higher":
        return "green" if value >= target else "red" if value < alert else "amber"
    return "green" if value <= target else "red" if value > alert else "amber"


# --- the mart's rows ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceState:
    """A source mart as the run found it: its version and publish time, or not published."""

    ref: str
    version: int | None = None
    published_utc: pd.Timestamp | None = None
    cadence: str | None = None

    def staleness(self, as_of: pd.Timestamp, grace_hours: float) -> str:
        """'' when current; else why its indicators are stale or empty."""
        if self.version is None or self.published_utc is None:
            return f"{self.ref} has not been published"
        if self.cadence is None:
            return ""
        age = as_of - self.published_utc
        if age <= pd.Timedelta(self.cadence) + pd.Timedelta(hours=grace_hours):
            return ""
        return (
            f"{self.ref} was last published {self.published_utc:%Y-%m-%d %H:%M} UTC, {age / pd.Timedelta(days=1):.1f} d "
            f"ago; it is expected every {self.cadence}"
        )


def compute(indicator: Indicator, frame: pd.DataFrame, params: IndicatorParams) -> pd.DataFrame:
    """The indicator's values per grain, period and area, each beside the period before, and which is the latest."""
    rows = indicator.compute(frame, params)
    if "unit" not in rows.columns:
        rows = rows.assign(unit=indicator.unit)
    rows = rows.sort_values(["grain", "area", "order"]).reset_index(drop=True)
    series = rows.groupby(["grain", "area"], sort=False)
    rows["previous_value"] = series["value"].shift(1)
    rows["change"] = rows["value"] - rows["previous_value"]
    complete = rows[rows["complete"].astype(bool)]
    latest = complete.groupby(["grain", "area"])["order"].transform("max")
    rows["is_latest"] = False
    rows.loc[latest.index, "is_latest"] = complete["order"] == latest
    rows["headline"] = False
    if len(rows):
        rows.loc[headline_row(indicator, rows), "headline"] = True
    return rows


def headline_row(indicator: Indicator, rows: pd.DataFrame) -> object:
    """The row a summary shows of an indicator: at its headline grain (else its first), for the city (else its first
    area), the latest complete period (else the latest period there is)."""
    grain = indicator.headline if indicator.headline in set(rows["grain"]) else rows["grain"].iloc[0]
    rows = rows[rows["grain"] == grain]
    rows = rows[rows["area"] == (CITY if CITY in set(rows["area"]) else sorted(set(rows["area"]))[0])]
    latest = rows[rows["is_latest"]]
    return (latest if len(latest) else rows).sort_values("order").index[-1]


def assemble(
    computed: Mapping[str, pd.DataFrame],
    sources: Mapping[str, SourceState],
    as_of: pd.Timestamp,
    params: IndicatorParams,
    target_table: pd.DataFrame,
    code_version: str,
    logic_version: str,
) -> pd.DataFrame:
    """The mart's rows: every declared indicator's values with their definition, target, light and lineage; an
    indicator whose source is not published has one row saying so, and one whose source is stale says so in every row."""
    frames = []
    for indicator in INDICATORS:
        source = sources[indicator.source]
        stale_reason = source.staleness(as_of, params.grace_hours)
        rows = computed.get(indicator.id)
        if rows is None or source.version is None:
            rows = pd.DataFrame(
                [{"grain": indicator.headline or "period", "period": "", "period_start": None, "area": CITY, "value": np.nan}]
            ).assign(
                unit=indicator.unit, complete=False, order=0, previous_value=np.nan, change=np.nan, is_latest=False, headline=True
            )
        target = target_table.loc[indicator.id]
        rows = rows.assign(
            indicator=indicator.id,
            name=indicator.name,
            definition=indicator.definition,
            better=indicator.better,
            target=float(target["target"]),
            alert=float(target["alert"]),
            target_basis=target["basis"],
            light=[traffic_light(v, target["target"], target["alert"], indicator.better) for v in rows["value"]],
            freshness="not published" if source.version is None else "stale" if stale_reason else "current",
            stale_reason=stale_reason,
            source=indicator.source,
            source_version=source.version,
            source_published_utc=source.published_utc,
            code_version=code_version,
            logic_version=logic_version,
            computed_utc=as_of,
        )
        frames.append(rows)
    out = pd.concat(frames, ignore_index=True)
    out["source_version"] = out["source_version"].astype("Int64")
    out["period_start"] = pd.to_datetime(out["period_start"]).dt.date
    return out.drop(columns=["order"])
