"""The weekly brief for the city's leaders, made from `city_indicators` alone: the headline indicators, what changed
since the period before, a chart of each, and what needs attention. One `Brief` renders as HTML (charts inline, one
self-contained file) and as a PDF of a few pages (matplotlib), so the two say the same.

Every number in it is a value of the mart: the HTML carries each headline's indicator id and exact value in data
attributes, so a test (or a reader's script) checks the brief against the mart.
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass

import pandas as pd

from pipelines.domains.egov.indicators import INDICATORS, traffic_light

HISTORY = 12  # periods each chart shows
LIGHT_COLOURS = {"green": "#2f855a", "amber": "#b7791f", "red": "#c53030", "no target": "#4a5568", "no value": "#a0aec0"}
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #1a202c; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }
th, td { border-bottom: 1px solid #e2e8f0; padding: .35rem .6rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.light { display: inline-block; width: .8rem; height: .8rem; border-radius: 50%; margin-right: .3rem; }
.stale { color: #718096; font-style: italic; } td.status { white-space: nowrap; } .charts img { width: 32%; } small { color: #4a5568; }
"""


@dataclass(frozen=True)
class Brief:
    """What one edition says: its headlines (one row per indicator), what changed, what needs attention, the series."""

    edition: str
    as_of: pd.Timestamp
    headlines: pd.DataFrame
    changes: pd.DataFrame
    attention: pd.DataFrame
    series: dict[str, pd.DataFrame]


def headlines(indicators: pd.DataFrame) -> pd.DataFrame:
    """The mart's headline rows (one per indicator), in the order the indicators are declared."""
    order = {indicator.id: i for i, indicator in enumerate(INDICATORS)}
    heads = indicators[indicators["headline"]]
    return heads.iloc[heads["indicator"].map(order).argsort(kind="stable")].reset_index(drop=True)


def previous_light(row: pd.Series) -> str:
    return traffic_light(row["previous_value"], row["target"], row["alert"], row["better"])


def changes(heads: pd.DataFrame) -> pd.DataFrame:
    """The headlines that moved: a different light than the period before, or 10 % or more up or down; the largest
    relative change first."""
    rows = heads.dropna(subset=["value", "previous_value"]).copy()
    rows["was"] = [previous_light(row) for _, row in rows.iterrows()]
    rows["relative"] = (rows["change"] / rows["previous_value"].abs()).where(rows["previous_value"] != 0)
    moved = (
        (rows["was"] != rows["light"]) | (rows["relative"].abs() >= 0.10) | (rows["previous_value"].eq(0) & rows["change"].ne(0))
    )
    out = rows[moved].assign(order=rows["relative"].abs().fillna(math.inf))
    return out.sort_values("order", ascending=False).drop(columns="order").reset_index(drop=True)


def attention(heads: pd.DataFrame) -> pd.DataFrame:
    """What the leaders should not miss: headlines in red, and indicators the brief cannot show as current."""
    return heads[(heads["light"] == "red") | (heads["freshness"] != "current")].reset_index(drop=True)


def make_brief(indicators: pd.DataFrame, edition: str, as_of: pd.Timestamp) -> Brief:
    """One edition of the brief from the mart's rows."""
    heads = headlines(indicators)
    series = {}
    for _, head in heads.iterrows():
        rows = indicators[
            (indicators["indicator"] == head["indicator"])
            & (indicators["grain"] == head["grain"])
            & (indicators["area"] == head["area"])
            & indicators["value"].notna()
        ]
        if len(rows) >= 2:
            series[head["indicator"]] = rows.tail(HISTORY)[["period", "value", "complete"]].reset_index(drop=True)
    return Brief(edition, as_of, heads, changes(heads), attention(heads), series)


def number(value: float, unit: str = "") -> str:
    """A figure as the brief prints it: whole numbers without decimals, others with one."""
    if value is None or pd.isna(value):
        return "-"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{text} {unit}".strip()


def _charts_png(brief: Brief) -> dict[str, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    charts = {}
    for indicator, rows in brief.series.items():
        head = brief.headlines[brief.headlines["indicator"] == indicator].iloc[0]
        fig, ax = plt.subplots(figsize=(4.2, 2.4))
        _draw(ax, head, rows)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=90)
        plt.close(fig)
        charts[indicator] = out.getvalue()
    return charts


def _draw(ax, head: pd.Series, rows: pd.DataFrame) -> None:
    x = range(len(rows))
    ax.plot(x, rows["value"], marker="o", color="#2b6cb0")
    if not pd.isna(head["target"]):
        ax.axhline(head["target"], color=LIGHT_COLOURS["green"], linestyle="--", linewidth=1, label="target")
        ax.axhline(head["alert"], color=LIGHT_COLOURS["red"], linestyle=":", linewidth=1, label="alert")
        ax.legend(fontsize=6, loc="best")
    ax.set_title(f"{head['name']} ({head['unit']})" if head["unit"] else head["name"], fontsize=8)
    ax.set_xticks(list(x), rows["period"], rotation=45, ha="right", fontsize=6)
    ax.tick_params(axis="y", labelsize=6)


def _not_current(row: pd.Series) -> str:
    return "no figure" if row["freshness"] == "not published" else "not shown as current"


def _light(light: str) -> str:
    return f"<span class='light' style='background:{LIGHT_COLOURS.get(light, '#a0aec0')}'></span>{html.escape(light)}"


def _status(row: pd.Series) -> str:
    if row["freshness"] == "current":
        return _light(str(row["light"]))
    return f"<span class='stale' title='{html.escape(str(row['stale_reason']))}'>{html.escape(_not_current(row))}</span>"


def _version(row: pd.Series) -> str:
    return "-" if pd.isna(row["source_version"]) else f"v{int(row['source_version'])}"


def render_html(brief: Brief) -> str:
    """The brief as one self-contained HTML file."""
    esc = html.escape
    heads = "".join(
        f"<tr data-indicator='{esc(r['indicator'])}'><td title='{esc(r['definition'])}'>{esc(r['name'])}</td>"
        f"<td>{esc(r['period'] or '-')}</td><td>{esc(r['area'])}</td>"
        f"<td class='num value' data-value='{r['value']!r}'>{esc(number(r['value'], r['unit']))}</td>"
        f"<td class='num'>{esc(number(r['previous_value'], r['unit']))}</td>"
        f"<td class='num'>{esc(number(r['target'], r['unit']))}</td><td class='status'>{_status(r)}</td>"
        f"<td><small>{esc(r['source'])} {_version(r)}</small></td></tr>"
        for _, r in brief.headlines.iterrows()
    )
    definitions = "".join(
        f"<dt>{esc(r['name'])} ({esc(r['unit'] or '-')})</dt><dd>{esc(r['definition'])}"
        + (
            f" Target: {esc(number(r['target'], r['unit']))}, alert beyond {esc(number(r['alert'], r['unit']))}; {esc(r['target_basis'])}."
            if not pd.isna(r["target"])
            else ""
        )
        + "</dd>"
        for _, r in brief.headlines.iterrows()
    )
    moved = (
        "".join(
            f"<li data-indicator='{esc(r['indicator'])}'>{esc(r['name'])}: {esc(number(r['previous_value'], r['unit']))} "
            f"&rarr; {esc(number(r['value'], r['unit']))} ({esc(r['period'])}; {esc(r['was'])} &rarr; {esc(r['light'])})</li>"
            for _, r in brief.changes.iterrows()
        )
        or "<li>No headline moved by 10 % or changed its light.</li>"
    )
    warn = (
        "".join(
            f"<li data-indicator='{esc(r['indicator'])}'>{esc(r['name'])}: "
            + (
                f"{esc(number(r['value'], r['unit']))} in {esc(r['period'])}, worse than the alert level "
                f"{esc(number(r['alert'], r['unit']))}"
                if r["freshness"] == "current"
                else f"{_not_current(r)}: {esc(r['stale_reason'])}"
            )
            + "</li>"
            for _, r in brief.attention.iterrows()
        )
        or "<li>Nothing in red; every source is current.</li>"
    )
    charts = "".join(
        f"<img alt='{esc(indicator)}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
        for indicator, png in _charts_png(brief).items()
    )
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>City weekly brief {esc(brief.edition)}</title>
<style>{_STYLE}</style></head><body data-edition='{esc(brief.edition)}'>
<h1>City weekly brief, {esc(brief.edition)}</h1>
<p>As of {brief.as_of:%Y-%m-%d %H:%M} UTC, from <code>curated/city_indicators</code>. Each figure is its indicator's latest
complete period; sources differ in how far their data reaches, so each says its period.</p>
<h2>Headline indicators</h2>
<table><tr><th>indicator</th><th>period</th><th>area</th><th>value</th><th>period before</th><th>target</th><th>status</th>
<th>computed from</th></tr>{heads}</table>
<h2>What changed</h2><ul class="changes">{moved}</ul>
<h2>Needs attention</h2><ul class="attention">{warn}</ul>
<h2>Charts</h2><div class="charts">{charts}</div>
<h2>Definitions</h2><dl>{definitions}</dl>
</body></html>"""


def render_pdf(brief: Brief) -> bytes:
    """The brief as a PDF: a page of headlines, a page of changes and attention, pages of charts (six to a page)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    out = io.BytesIO()
    with PdfPages(out, metadata={"Title": f"City weekly brief {brief.edition}", "Creator": "CityLake"}) as pdf:
        fig = plt.figure(figsize=(11.69, 8.27))
        fig.text(0.04, 0.95, f"City weekly brief, {brief.edition}", fontsize=16, weight="bold")
        fig.text(0.04, 0.91, f"As of {brief.as_of:%Y-%m-%d %H:%M} UTC, from curated/city_indicators", fontsize=9)
        cells = [
            [
                r["name"],
                r["period"] or "-",
                number(r["value"], r["unit"]),
                number(r["previous_value"], r["unit"]),
                number(r["target"], r["unit"]),
                r["light"] if r["freshness"] == "current" else r["freshness"],
            ]
            for _, r in brief.headlines.iterrows()
        ]
        ax = fig.add_axes((0.04, 0.05, 0.92, 0.82))
        ax.axis("off")
        table = ax.table(
            cellText=cells or [["-"] * 6],
            colLabels=["indicator", "period", "value", "period before", "target", "status"],
            loc="upper left",
            cellLoc="left",
        )
        table.auto_set_font_size(False)
        table.set_fontsize(8)
        table.scale(1, 1.4)
        pdf.savefig(fig)
        plt.close(fig)

        fig = plt.figure(figsize=(11.69, 8.27))
        lines = ["What changed"]
        lines += [
            f"  {r['name']}: {number(r['previous_value'], r['unit'])} -> {number(r['value'], r['unit'])} ({r['period']}; "
            f"{r['was']} -> {r['light']})"
            for _, r in brief.changes.iterrows()
        ] or ["  No headline moved by 10 % or changed its light."]
        lines += ["", "Needs attention"]
        lines += [
            f"  {r['name']}: "
            + (
                f"{number(r['value'], r['unit'])} in {r['period']}"
                if r["freshness"] == "current"
                else f"{_not_current(r)}: {r['stale_reason']}"
            )
            for _, r in brief.attention.iterrows()
        ] or ["  Nothing in red; every source is current."]
        fig.text(0.04, 0.95, "\n".join(lines), fontsize=9, va="top", family="monospace")
        pdf.savefig(fig)
        plt.close(fig)

        items = list(brief.series.items())
        for first in range(0, len(items), 6):
            fig, axes = plt.subplots(2, 3, figsize=(11.69, 8.27))
            for ax, (indicator, rows) in zip(axes.flat, items[first : first + 6]):
                _draw(ax, brief.headlines[brief.headlines["indicator"] == indicator].iloc[0], rows)
            for ax in list(axes.flat)[len(items[first : first + 6]) :]:
                ax.axis("off")
            fig.tight_layout()
            pdf.savefig(fig)
            plt.close(fig)
    return out.getvalue()
