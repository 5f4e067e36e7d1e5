"""Noise and surface water, clean -> curated, as one job: `noise_exceedances` from `clean/noise_levels` and
`water_quality_class` from `clean/water_quality_samples` (either may be absent: its mart waits for it).

Both marts are small (a few rows per sensor or station and day), so the job runs in the task, and each publish
replaces its whole mart in one commit; its key is the input's version, so a rerun on the same input is a no-op.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from pipelines.config import Settings
from pipelines.domains.environment import noise, water_quality
from pipelines.lake.catalog import clean_dataset
from pipelines.lake.catalog.environment import NOISE_EXCEEDANCES, WATER_QUALITY_CLASS
from pipelines.lake.runs import idempotency_key, write_run_record
from pipelines.lake.storage import Lake
from pipelines.sources.registry import local_timezone

log = logging.getLogger(__name__)

PIPELINE = "environment_noise_water_marts"
NOISE, WATER = clean_dataset("noise_levels"), clean_dataset("water_quality_samples")
WATER_PARAMETERS = ["do_mg_l", "codmn_mg_l", "nh3n_mg_l", "tp_mg_l"]


def daily_water(samples: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Per station, water body and local date: the number of samples and each parameter's daily mean."""
    local = pd.to_datetime(samples["ts_utc"], utc=True).dt.tz_convert(timezone).dt.date
    grouped = samples.assign(local_date=local).groupby(["station", "water_body", "local_date"], sort=True)
    means = grouped[WATER_PARAMETERS].mean()
    return means.assign(samples=grouped.size()).reset_index()


def water_classes(samples: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """The `water_quality_class` rows of the samples."""
    daily = daily_water(samples, timezone)
    return pd.concat([daily, water_quality.classify(daily)], axis=1).assign(standard=water_quality.STANDARD)


def build(settings: Settings, run_id: str, params: noise.NoiseParams | None = None) -> dict[str, dict[str, Any]]:
    """Publish both marts from their clean datasets, each only when its input exists; what each publish did."""
    params = params or noise.NoiseParams()
    lake = Lake(settings)
    result: dict[str, dict[str, Any]] = {}
    if lake.has(NOISE):
        version = lake.version(NOISE)
        rows = noise.exceedances(lake.read(NOISE, version=version), local_timezone(NOISE.name), params)
        key = idempotency_key(PIPELINE, NOISE_EXCEEDANCES.logic_version, version, params.min_day_hours, params.min_night_hours)
        published = lake.publish(NOISE_EXCEEDANCES, rows, None, run_id, key)
        judged = rows[rows["complete"]]
        result[NOISE_EXCEEDANCES.name] = {
            "rows": len(rows),
            "version": published.version,
            "input_version": version,
            "periods_exceeded": int(judged["exceeded"].sum()),
            "periods_judged": len(judged),
            "nights_lmax_exceeded": int(rows["lmax_exceeded"].fillna(False).sum()),
        }
    else:
        log.info("%s is not published yet: %s waits for it", lake.uri(NOISE), NOISE_EXCEEDANCES.name)
    if lake.has(WATER):
        version = lake.version(WATER)
        rows = water_classes(lake.read(WATER, version=version), local_timezone(WATER.name))
        key = idempotency_key(PIPELINE, WATER_QUALITY_CLASS.logic_version, version)
        published = lake.publish(WATER_QUALITY_CLASS, rows, None, run_id, key)
        result[WATER_QUALITY_CLASS.name] = {
            "rows": len(rows),
            "version": published.version,
            "input_version": version,
            "days_by_class": {str(k): int(v) for k, v in rows["class_name"].value_counts().sort_index().items()},
        }
    else:
        log.info("%s is not published yet: %s waits for it", lake.uri(WATER), WATER_QUALITY_CLASS.name)
    write_run_record(lake, PIPELINE, run_id, result)
    return result


def results_text(settings: Settings) -> str:
    """The noise and water-quality marts' figures as text; a mart not built yet says so."""
    lake = Lake(settings)
    lines: list[str] = []
    if lake.has(NOISE_EXCEEDANCES):
        rows = lake.read(NOISE_EXCEEDANCES)
        judged = rows[rows["complete"]]
        table = judged.groupby(["sensor_id", "zone_class", "period"]).agg(
            periods=("exceeded", "size"), exceeded=("exceeded", "sum"), worst_excess_db=("excess_db", "max")
        )
        night_max = rows.groupby("sensor_id")["lmax_exceeded"].sum().rename("nights_lmax_over")
        lines += [
            f"Noise against {noise.STANDARD} (day 06-22, night 22-06):",
            table.join(night_max).reset_index().to_string(index=False),
            "",
        ]
    if lake.has(WATER_QUALITY_CLASS):
        rows = lake.read(WATER_QUALITY_CLASS)
        classes = rows.pivot_table(index="station", columns="class_name", values="local_date", aggfunc="count", fill_value=0)
        worst = (
            rows.sort_values("class_code")
            .groupby("station")
            .tail(1)[["station", "local_date", "class_name", "limiting_parameters"]]
        )
        lines += [
            f"Surface water by {water_quality.STANDARD}: days per class",
            classes.to_string(),
            "Each station's worst day:",
            worst.sort_values("station").to_string(index=False),
        ]
    return "\n".join(lines) if lines else "No noise or water-quality mart is built yet."
