"""The lake page in the Airflow UI (an Airflow 3 plugin): zones, tables, last publish, rows, quarantine, freshness.

Served by the api-server at /citylake/lake (HTML) and /citylake/lake.json; the "Lake" entry of the
Browse menu shows it inside the UI. Each clean dataset links to its Great Expectations Data Docs
(/citylake/validations/<dataset>: one entry per run, newest first). Asking needs the right to read assets, like the UI's asset pages.
Registered through the `airflow.plugins` entry point in pyproject.toml, or by plugins/citylake_lake_page.py
from Airflow's plugins folder where the package is not installed (never both).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from typing import Any

from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import HTMLResponse, Response

from pipelines.lake.catalog import Zone, catalog, tables
from pipelines.lake.status import TableStatus, expected_cadences, table_statuses, zone_totals
from pipelines.lake.storage import Lake
from pipelines.orchestration.hooks import task_settings
from pipelines.sources.registry import all_sources

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1a202c; }
table { border-collapse: collapse; margin-bottom: 1.5rem; }
th, td { border-bottom: 1px solid #e2e8f0; padding: .35rem .8rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.late { color: #c53030; font-weight: 600; } .on-time { color: #2f855a; } .no-cadence { color: #718096; }
"""


def _cadence_text(cadence: dt.timedelta | None) -> str:
    if cadence is None:
        return "-"
    hours = cadence.total_seconds() / 3600
    return f"{hours / 24:g} d" if hours >= 24 else f"{hours:g} h"


def lake_status_rows(statuses: Sequence[TableStatus], now: dt.datetime) -> list[dict[str, object]]:
    """The page's table as plain rows (also the JSON answer)."""
    return [
        {
            "zone": s.zone.value,
            "dataset": s.dataset,
            "version": s.version,
            "last_publish": s.last_publish.isoformat(timespec="seconds"),
            "rows": s.rows,
            "quarantined_by_reason": s.quarantined_by_reason,
            "cadence": _cadence_text(s.cadence),
            "freshness": s.freshness(now),
            **_declared(s),
        }
        for s in statuses
    ]


def _declared(status: TableStatus) -> dict[str, object]:
    """What the lake catalog says of the table: what it is, who owns it, which DAG publishes it from which tables."""
    table = catalog().get((status.zone, status.dataset))
    if table is None:
        return {"description": "not declared in the lake catalog", "owner": "-", "producer": "-", "inputs": []}
    return {
        "description": table.description,
        "owner": table.domain,
        "producer": ", ".join(table.producers),
        "inputs": list(table.inputs),
    }


def _anchor(ref: str) -> str:
    return "table-" + ref.replace("/", "-")


def _input_links(refs: object) -> str:
    """Each input as a link to its own row of the page."""
    assert isinstance(refs, list)
    return ", ".join(f"<a href='#{html.escape(_anchor(ref))}'>{html.escape(ref)}</a>" for ref in refs) or "-"


PUBLISHED_KINDS = ("reports", "open_data")  # folders of _meta whose files are made for people: <kind>/<name>/<edition>/<file>
MEDIA_TYPES = {
    ".html": "text/html",
    ".pdf": "application/pdf",
    ".csv": "text/csv",
    ".json": "application/json",
    ".txt": "text/plain",
}


def published_files(lake: Lake) -> list[tuple[str, str, str, str]]:
    """The reports and open-data releases in the lake: (kind, name, edition, file), newest edition first."""
    found = []
    for kind in PUBLISHED_KINDS:
        for path in lake.glob(f"{lake.layout.zone(Zone.META)}/{kind}/*/*/*"):
            name, edition, file = path.rsplit("/", 3)[-3:]
            found.append((kind, name, edition, file))
    return sorted(found, key=lambda f: (f[0], f[1], f[2]), reverse=True)


def _published_section(files: Sequence[tuple[str, str, str, str]]) -> str:
    esc = html.escape
    editions: dict[tuple[str, str, str], list[str]] = {}
    for kind, name, edition, file in files:
        editions.setdefault((kind, name, edition), []).append(file)
    rows = "".join(
        f"<tr><td>{esc(kind.replace('_', ' '))}</td><td>{esc(name)}</td><td>{esc(edition)}</td><td>"
        + " ".join(f"<a href='files/{esc(kind)}/{esc(name)}/{esc(edition)}/{esc(f)}'>{esc(f)}</a>" for f in sorted(names))
        + "</td></tr>"
        for (kind, name, edition), names in editions.items()
    )
    if not rows:
        return "<h2>Reports and open data</h2><p>None yet: the egov_weekly_brief DAG makes them.</p>"
    return f"<h2>Reports and open data</h2><table><tr><th>kind</th><th>name</th><th>edition</th><th>files</th></tr>{rows}</table>"


def render_lake_page(
    lake_uri: str, statuses: Sequence[TableStatus], now: dt.datetime, files: Sequence[tuple[str, str, str, str]] = ()
) -> str:
    """The lake page as one self-contained HTML document."""
    esc = html.escape
    zones = "".join(
        f"<tr><td>{esc(zone.value)}</td><td class='num'>{tables}</td><td class='num'>{rows:,}</td></tr>"
        for zone, (tables, rows) in zone_totals(statuses).items()
    )
    tables = "".join(
        f"<tr id='{esc(_anchor(str(r['zone']) + '/' + str(r['dataset'])))}' data-dataset='{esc(str(r['dataset']))}'>"
        f"<td>{esc(str(r['zone']))}</td><td>{esc(str(r['dataset']))}</td>"
        f"<td>{esc(str(r['last_publish']))}</td><td class='num'>{r['version']}</td><td class='num'>{r['rows']:,}</td>"
        f"<td>{esc(', '.join(f'{code}: {n:,}' for code, n in s.quarantined_by_reason.items()) or '-')}</td>"
        f"<td>{esc(str(r['cadence']))}</td><td class='{str(r['freshness']).replace(' ', '-')}'>{esc(str(r['freshness']))}</td>"
        f"<td title='{esc(str(r['description']))}'>{esc(str(r['owner']))}</td><td>{esc(str(r['producer']))}</td>"
        f"<td>{_input_links(r['inputs'])}</td>"
        f"<td>{_validations_link(s)}</td></tr>"
        for s, r in zip(statuses, lake_status_rows(statuses, now))
    )
    empty = "" if statuses else "<p>Nothing is published yet: run a clean DAG (or <code>make demo</code>).</p>"
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>CityLake: the lake</title><style>{_STYLE}</style></head>
<body><h1>The lake</h1><p>{esc(lake_uri)}, as of {now.isoformat(timespec="seconds")}</p>{empty}
<h2>Zones</h2><table><tr><th>zone</th><th>tables</th><th>rows</th></tr>{zones}</table>
<h2>Tables</h2><table><tr><th>zone</th><th>dataset</th><th>last publish (UTC)</th><th>version</th><th>rows</th>
<th>quarantined by reason</th><th>expected every</th><th>freshness</th><th>owner</th><th>produced by</th>
<th>made from</th><th>validations</th></tr>{tables}</table>{_published_section(files)}</body></html>"""


def _validations_link(status: TableStatus) -> str:
    """A clean dataset's link to its Data Docs (validations of its clean runs); nothing for other tables."""
    if status.zone is not Zone.CLEAN:
        return ""
    name = html.escape(status.dataset)
    return f"<a href='validations/{name}'>Data Docs</a>"


def validation_runs_page(dataset: str, runs: Sequence[tuple[str, dt.datetime]]) -> str:
    """A dataset's validated runs, newest first, each linking to its index of Data Docs pages."""
    esc = html.escape
    items = "".join(
        f"<tr><td><a href='{esc(dataset)}/{esc(run)}/index.html'>{esc(run)}</a></td><td>{when.isoformat(timespec='seconds')}</td></tr>"
        for run, when in runs
    )
    empty = "" if runs else "<p>No validation yet: the dataset's clean DAG has not run.</p>"
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{esc(dataset)}: validations</title><style>{_STYLE}</style></head>
<body><h1>{esc(dataset)}: Great Expectations validations</h1>{empty}<table><tr><th>run</th><th>validated (UTC)</th></tr>{items}</table></body></html>"""


def _validation_runs(lake: Lake, dataset: str) -> list[tuple[str, dt.datetime]]:
    folder = lake.layout.validations_dir(dataset)
    found = []
    for index in lake.glob(f"{folder}/*/index.html"):
        modified = lake.fs.modified(index)
        when = modified if modified.tzinfo else modified.replace(tzinfo=dt.UTC)
        found.append((index.rsplit("/", 2)[-2], when))
    return sorted(found, key=lambda run: run[1], reverse=True)


SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")  # no path separators, no leading dot


def _current() -> tuple[str, list[TableStatus], dt.datetime]:
    settings = task_settings()  # the same connections the tasks use
    feed_cadences = [(feed.dataset, feed.cadence) for feed in all_sources().values()]
    statuses = table_statuses(Lake(settings), expected_cadences(tables(), feed_cadences))
    return settings.lake_uri, statuses, dt.datetime.now(dt.UTC)


def _reader() -> Any:
    from airflow.api_fastapi.core_api.security import requires_access_asset

    return Depends(requires_access_asset("GET"))


app = FastAPI(title="CityLake lake page")


@app.get("/lake", response_class=HTMLResponse, dependencies=[_reader()])
def lake_page() -> str:
    """The page."""
    return render_lake_page(*_current(), published_files(Lake(task_settings())))


@app.get("/files/{kind}/{name}/{edition}/{file}", dependencies=[_reader()])
def published_file(kind: str, name: str, edition: str, file: str) -> Response:
    """One file of a report's edition or of an open-data release."""
    suffix = "." + file.rsplit(".", 1)[-1] if "." in file else ""
    if (
        kind not in PUBLISHED_KINDS
        or not all(SAFE_NAME.match(part) for part in (name, edition, file))
        or suffix not in MEDIA_TYPES
    ):
        raise HTTPException(status_code=404, detail="no such file")
    lake = Lake(task_settings())
    path = f"{lake.layout.zone(Zone.META)}/{kind}/{name}/{edition}/{file}"
    if not lake.exists(path):
        raise HTTPException(status_code=404, detail=f"no file {kind}/{name}/{edition}/{file}")
    return Response(lake.read_bytes(path), media_type=MEDIA_TYPES[suffix])


@app.get("/validations/{dataset}", response_class=HTMLResponse, dependencies=[_reader()])
def validation_runs(dataset: str) -> str:
    """A clean dataset's validated runs."""
    if (Zone.CLEAN, dataset) not in catalog():
        raise HTTPException(status_code=404, detail=f"no clean dataset {dataset!r}")
    return validation_runs_page(dataset, _validation_runs(Lake(task_settings()), dataset))


@app.get("/validations/{dataset}/{run}/{page}", response_class=HTMLResponse, dependencies=[_reader()])
def validation_page(dataset: str, run: str, page: str) -> str:
    """One stored Data Docs page (or a run's index of them)."""
    if (
        (Zone.CLEAN, dataset) not in catalog()
        or not (SAFE_NAME.match(run) and SAFE_NAME.match(page))
        or not page.endswith(".html")
    ):
        raise HTTPException(status_code=404, detail="no such validation page")
    lake = Lake(task_settings())
    path = f"{lake.layout.validations_dir(dataset, run)}/{page}"
    if not lake.exists(path):
        raise HTTPException(status_code=404, detail=f"no validation page {run}/{page} for {dataset}")
    return lake.read_bytes(path).decode("utf-8")


@app.get("/lake.json", dependencies=[_reader()])
def lake_json() -> dict[str, object]:
    """The same, for scripts and monitoring."""
    lake_uri, statuses, now = _current()
    return {"lake": lake_uri, "as_of": now.isoformat(timespec="seconds"), "tables": lake_status_rows(statuses, now)}


ENTRY_POINT = f"{__name__}:LakePagePlugin"


def registered_by_entry_point() -> bool:
    """Whether the installed package's `airflow.plugins` entry point registers the plugin (then plugins/ must not)."""
    from importlib.metadata import entry_points

    return any(point.value == ENTRY_POINT for point in entry_points(group="airflow.plugins"))


class LakePagePlugin(AirflowPlugin):
    """Adds the lake page to the api-server and a "Lake" entry to the UI's Browse menu."""

    name = "citylake_lake_page"
    # AirflowPlugin declares these as instance attributes: a ClassVar annotation would contradict it
    fastapi_apps = [{"app": app, "url_prefix": "/citylake", "name": "CityLake lake page"}]  # noqa: RUF012
    external_views = [  # noqa: RUF012
        {"name": "Lake", "href": "citylake/lake", "destination": "nav", "category": "browse", "url_route": "lake"}
    ]
