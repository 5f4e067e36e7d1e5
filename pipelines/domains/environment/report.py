"""What a person looks at after a run: the ledger per station, the marts' sizes, the worst episodes, a chart."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pipelines.bi.catalog import connect
from pipelines.config import Settings
from pipelines.domains.environment import air_quality
from pipelines.lake.ledger import read_ledger
from pipelines.lake.storage import Lake

MART_VIEWS = ("air_aqi_hourly", "air_aqi_daily", "air_pollution_episodes")
WORST_EPISODES_SQL = """
SELECT station, start_utc, end_utc, hours, peak_aqi, peak_category, primary_pollutant
FROM air_pollution_episodes ORDER BY peak_aqi DESC, hours DESC, station LIMIT {limit}
"""
MONTHLY_AQI_SQL = """
SELECT station, date_trunc('month', local_date) AS month, avg(aqi) AS mean_aqi
FROM air_aqi_daily WHERE aqi IS NOT NULL GROUP BY ALL ORDER BY station, month
"""


def ledger_table(settings: Settings) -> pd.DataFrame:
    """Per station: rows in, clean, quarantined (by reason), deduplicated, hours missing."""
    ledger = read_ledger(Lake(settings), air_quality.DATASET)
    return pd.DataFrame(
        {
            "station": ledger["source_partition"],
            "rows_in": ledger["rows_in"],
            "clean": ledger["rows_clean"],
            "quarantined": ledger["rows_quarantined"],
            "by_reason": [
                ", ".join(f"{k}={v}" for k, v in json.loads(r).items()) or "-" for r in ledger["quarantined_by_reason"]
            ],
            "deduplicated": ledger["rows_deduplicated"],
            "hours_missing": ledger["gaps"],
        }
    )


def summary_text(settings: Settings, chart: Path | None = None, worst: int = 5) -> str:
    """The demo's closing summary as text (and the monthly AQI chart written to `chart`)."""
    con, views = connect(settings)
    names = {v.name for v in views}
    lines = [f"Lake: {settings.lake_uri}", "", "Air quality, per station (rows_in = clean + quarantined + deduplicated):"]
    lines.append(ledger_table(settings).to_string(index=False))
    lines += ["", "Marts:"]
    for view in MART_VIEWS:
        count = con.sql(f"SELECT count(*) FROM {view}").fetchone()[0] if view in names else 0
        lines.append(f"  curated/{view:<24} {count:>9,} rows")
    if "air_pollution_episodes" in names:
        episodes = con.sql(WORST_EPISODES_SQL.format(limit=worst)).df()
        lines += ["", f"Worst {len(episodes)} pollution episodes (consecutive hours with AQI >= 201):"]
        lines.append(episodes.to_string(index=False) if len(episodes) else "  none")
    if chart is not None and "air_aqi_daily" in names:
        write_monthly_chart(con.sql(MONTHLY_AQI_SQL).df(), chart)
        lines += ["", f"Chart of the monthly mean daily AQI per station: {chart}"]
    con.close()
    return "\n".join(lines)


def write_monthly_chart(monthly: pd.DataFrame, path: Path) -> None:
    """A line chart of the monthly mean daily AQI per station, with the category bands."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 5))
    for (low, high, colour) in ((0, 50, "#00e400"), (50, 100, "#ffff00"), (100, 150, "#ff7e00"),
                                (150, 200, "#ff0000"), (200, 300, "#99004c")):
        ax.axhspan(low, high, color=colour, alpha=0.12, lw=0)
    for station, rows in monthly.groupby("station"):
        ax.plot(rows["month"], rows["mean_aqi"], label=station, lw=1.4)
    ax.set_title("Monthly mean of the daily AQI (HJ 633-2012) per station")
    ax.set_ylabel("AQI")
    ax.legend(ncol=4, fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
