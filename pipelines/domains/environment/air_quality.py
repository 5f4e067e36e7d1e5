"""The canonical hourly air-quality dataset, and the pure cleansing of one station's delivered file."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from pipelines.cleanse.dedup import deduplicate
from pipelines.cleanse.gaps import missing_steps
from pipelines.cleanse.records import LINE, RAW, raw_records, read_delimited, rejects_frame
from pipelines.cleanse.timezones import local_parts_to_utc
from pipelines.cleanse.types import coerce_numeric
from pipelines.validate.reasons import Reason
from pipelines.validate.suite import Suite

DATASET = "air_quality_hourly"
PARTITION_BY = ("station",)
KEY = ("station", "ts_utc")

# The Beijing multi-site files (UCI "PRSA"): header, and source column -> (canonical column, factor)
PRSA_HEADER = (
    "No", "year", "month", "day", "hour", "PM2.5", "PM10", "SO2", "NO2", "CO", "O3",
    "TEMP", "PRES", "DEWP", "RAIN", "wd", "WSPM", "station",
)
PRSA_MEASURES = {
    "PM2.5": ("pm25_ug_m3", 1.0),
    "PM10": ("pm10_ug_m3", 1.0),
    "SO2": ("so2_ug_m3", 1.0),
    "NO2": ("no2_ug_m3", 1.0),
    "CO": ("co_mg_m3", 0.001),  # delivered in ug/m3; HJ 633 breakpoints are in mg/m3
    "O3": ("o3_ug_m3", 1.0),
    "TEMP": ("temp_c", 1.0),
    "PRES": ("pres_hpa", 1.0),
    "DEWP": ("dewp_c", 1.0),
    "RAIN": ("rain_mm", 1.0),
    "WSPM": ("wind_speed_m_s", 1.0),
}
POLLUTANTS = ("pm25_ug_m3", "pm10_ug_m3", "so2_ug_m3", "no2_ug_m3", "co_mg_m3", "o3_ug_m3")

CLEAN_SCHEMA = pa.schema(
    [
        pa.field("station", pa.string()),
        pa.field("ts_utc", pa.timestamp("us", tz="UTC")),
        pa.field("local_date", pa.date32()),
        pa.field("local_hour", pa.int8()),
        *[pa.field(name, pa.float64()) for name in POLLUTANTS],
        pa.field("temp_c", pa.float64()),
        pa.field("pres_hpa", pa.float64()),
        pa.field("dewp_c", pa.float64()),
        pa.field("rain_mm", pa.float64()),
        pa.field("wind_dir", pa.string()),
        pa.field("wind_speed_m_s", pa.float64()),
        pa.field("pollutants_missing", pa.int8()),
        pa.field("source_file", pa.string()),
        pa.field("source_line", pa.int64()),
    ]
)
PAYLOAD = tuple(
    f.name for f in CLEAN_SCHEMA if f.name not in (*KEY, "local_date", "local_hour", "source_file", "source_line")
)


@dataclass(frozen=True)
class CleansedPartition:
    """One delivered file after cleansing: clean rows, rejected rows, and the counts of the ledger."""

    clean: pd.DataFrame  # CLEAN_SCHEMA columns
    rejects: pd.DataFrame  # reason_code, reason_detail, source_line, raw_record
    rows_in: int
    rows_deduplicated: int
    hours_missing: int

    @property
    def balanced(self) -> bool:
        """rows_in = clean + quarantined + deduplicated."""
        return self.rows_in == len(self.clean) + len(self.rejects) + self.rows_deduplicated


def cleanse_prsa(
    content: bytes, source_file: str, station: str, suite: Suite, timezone: str = "Asia/Shanghai"
) -> CleansedPartition:
    """Parse, type, convert, validate and deduplicate one station's PRSA file; every row is kept or rejected."""
    read = read_delimited(content, PRSA_HEADER)
    records = read.records
    rejected = [read.rejects]

    numbers, type_problem = coerce_numeric(records, ["year", "month", "day", "hour", *PRSA_MEASURES])
    ts_utc = local_parts_to_utc(numbers, timezone)
    local = ts_utc.dt.tz_convert(timezone)
    frame = pd.DataFrame(
        {
            "station": records["station"].where(records["station"].str.strip() != "", None),
            "ts_utc": ts_utc,
            "local_date": local.dt.date,
            "local_hour": local.dt.hour.astype("Int8"),
            **{canonical: numbers[source] * factor for source, (canonical, factor) in PRSA_MEASURES.items()},
            "wind_dir": records["wd"].where(~records["wd"].isin(["", "NA"]), None),
            "source_file": source_file,
            LINE: records[LINE],
        },
        index=records.index,
    )
    frame["pollutants_missing"] = frame[list(POLLUTANTS)].isna().sum(axis=1).astype("int8")

    reason = pd.Series(None, index=frame.index, dtype="object")
    detail = pd.Series(None, index=frame.index, dtype="object")
    reason[type_problem.notna()] = Reason.TYPE_MISMATCH.value
    detail[type_problem.notna()] = type_problem[type_problem.notna()]
    bad_time = reason.isna() & ts_utc.isna()
    reason[bad_time] = Reason.INVALID_TIMESTAMP.value
    detail[bad_time] = [
        f"no such local time: {y}-{m}-{d} hour {h}"
        for y, m, d, h in records.loc[bad_time, ["year", "month", "day", "hour"]].itertuples(index=False)
    ]
    foreign = reason.isna() & frame["station"].notna() & (frame["station"] != station)
    reason[foreign] = Reason.STATION_MISMATCH.value
    detail[foreign] = [f"station={s!r} in the file of station {station!r}" for s in frame.loc[foreign, "station"]]
    rule_reason, rule_detail = suite.first_failures(frame)
    by_rule = reason.isna() & rule_reason.notna()
    reason[by_rule] = rule_reason[by_rule]
    detail[by_rule] = rule_detail[by_rule]

    failed = reason.notna()
    rejected.append(_rejects_of(records[failed], reason[failed], detail[failed]))
    dedup = deduplicate(frame[~failed], KEY, PAYLOAD)
    if len(dedup.conflicts):
        conflicts = records.loc[dedup.conflicts.index]
        rejected.append(
            _rejects_of(
                conflicts,
                pd.Series(Reason.DUPLICATE_KEY_CONFLICT.value, index=conflicts.index),
                pd.Series(
                    [f"another row has station={s}, ts_utc={t:%Y-%m-%dT%H:%MZ} with different values"
                     for s, t in dedup.conflicts[list(KEY)].itertuples(index=False)],
                    index=conflicts.index,
                ),
            )
        )
    clean = dedup.kept.sort_values(list(KEY), kind="stable").reset_index(drop=True)
    clean = clean[[f.name for f in CLEAN_SCHEMA]]
    rejects = pd.concat([r for r in rejected if len(r)], ignore_index=True) if any(len(r) for r in rejected) else rejects_frame([])
    return CleansedPartition(
        clean=clean,
        rejects=rejects.sort_values(LINE, kind="stable").reset_index(drop=True),
        rows_in=read.rows_in,
        rows_deduplicated=dedup.removed_duplicates,
        hours_missing=missing_steps(clean["ts_utc"]),
    )


def _rejects_of(records: pd.DataFrame, reason: pd.Series, detail: pd.Series) -> pd.DataFrame:
    """Rejected rows in the quarantine's shape, keeping the record exactly as delivered."""
    return pd.DataFrame(
        {
            "reason_code": reason.astype(object),
            "reason_detail": detail.astype(object),
            LINE: records[LINE],
            RAW: pd.Series(raw_records(records, PRSA_HEADER), index=records.index, dtype=object),
        }
    )


def station_of(file_name: str) -> str:
    """The station a PRSA file covers, from its name (PRSA_Data_<Station>_<from>-<to>.csv)."""
    parts = file_name.rsplit(".", 1)[0].split("_")
    if len(parts) < 4 or "PRSA" not in parts:
        raise ValueError(f"{file_name!r} is not named like PRSA_Data_<Station>_<from>-<to>.csv")
    return parts[parts.index("Data") + 1] if "Data" in parts else parts[-2]

