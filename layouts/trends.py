"""`/trends`: leaders' trend panels over a unit and a time range.

The layout is the frame (controls, breadcrumb, one section per panel, with
its CSV link); callbacks/trends.py fills it from the rollups through the pure
builders of layouts/trends_figures.py. assets/trends.js listens to the live
feed and nudges the panels (through TRENDS_LIVE) when today is in range.

Query parameters: `unit`, `range` (today|7d|30d|year|custom), `from`, `to`,
`category`, `priority` (comma-separated), `lang`.
"""
from __future__ import annotations

import json
from functools import lru_cache

from dash import dcc, html
from flask_wtf.csrf import generate_csrf

from dashboard.auth.sessions import session_user
from dashboard.auth.views import login_required_page, request_lang
from dashboard.domain.events import INCIDENT_CATEGORIES, MEDIATION_CHANNELS
from dashboard.domain.trends import RANGES, Window, today, window_for
from dashboard.i18n import Translator
from dashboard.services import current_services
from dashboard.settings import ROOT
from dashboard.domain.trend_rows import PANELS
from layouts.trends_figures import graph_config
from layouts.trends_scorecard import TABLE

ROLES = ("leader", "admin", "duty", "staff")
DRILL_LEVELS = ("district", "street", "community")

# Component ids of the page (kept here, next to the only layout that uses them).
CONFIG = "trends-config"
UNIT = "trends-unit"
LIVE = "trends-live"            # hidden button: its n_clicks is the live tick
STARTED = "trends-started"
RANGE = "trends-range"
DATES = "trends-dates"
SUBUNIT = "trends-subunit"
CATEGORY = "trends-category"
PRIORITY = "trends-priority"
CRUMBS = "trends-crumbs"
CRUMB = "trends-crumb"          # pattern-matching type: {"type": CRUMB, "unit": code}
KPIS = "trends-kpis"
STATUS = "trends-status"
BADGE = "trends-connection"


CHARTS = tuple(p for p in PANELS if p != "departments")  # panels drawn as plotly figures
# Page order: the department scorecard (a full-width table) right after the first row of charts.
ORDER = (*CHARTS[:3], "departments", *CHARTS[3:])


def graph_id(panel: str) -> str:
    return f"trends-graph-{panel}"


def csv_id(panel: str) -> str:
    return f"trends-csv-{panel}"


# Message ids: English text, or `trends:key:value` ids for enumerations (English in en.po).
PANEL_TITLES = {name: f"trends:panel:{name}" for name in PANELS}
RANGE_LABELS = {r: f"trends:range:{r}" for r in RANGES}
KPI_TILES = [(key, f"trends:kpi:{key}") for key in ("incidents", "resolve_on_time", "alerts", "mediation_success",
                                              "patrol_coverage")]
# Figure label keys -> message ids.
LABELS = {
    "No data": "No data for this selection", "No alerts": "No alerts in this period", "Reopened": "Reopened",
    "Incidents": "Incidents", "own level": "own level", "all priorities": "All priorities",
    "p50_min": "p50", "p90_min": "p90", "min": "min", "Deadline": "Deadline",
    "minutes": "Response time (minutes)", "alert raised": "Alerts raised", "alert escalated": "Escalations",
    "kinds": "kinds", "aspects": "aspects", "top problems note": "Busiest communities: top kinds and aspects",
    "Outcomes": "Outcomes", "Transfers out": "Transfers out", "Success rate": "Mediation success rate",
    "Grid coverage": "Grid coverage", "Checkpoints": "Checkpoints", "Late checkpoints": "Late checkpoints",
    **{f"level:{lv}": f"level:{lv}" for lv in ("community", "street", "district")},
    **{f"stage {s}": f"trends:step:{s}" for s in ("acknowledge", "arrive", "resolve")},
    **{f"measure {m}": f"trends:measure:{m}" for m in ("accepted", "agreed", "failed", "withdrawn")},
    **{f"target {t}": f"trends:target:{t}" for t in ("litigation", "police", "petition")},
    **{f"weekday {d}": f"trends:weekday:{d}" for d in range(1, 8)},
}
UI_TEXT = ["Trends", "Drill into a sub-unit", "All categories", "All priorities", "CSV",
           "Export the panel's rows as CSV", "Updated", "Log out", "live", "connecting", "reconnecting",
           "catching up", "offline"]


def figure_labels(_: Translator) -> dict[str, str]:
    t = {key: _(msgid) for key, msgid in LABELS.items()}
    zh = _.lang == "zh"
    t.update({f"target {c}": names[0 if zh else 1] for c, names in MEDIATION_CHANNELS.items()})
    return t


def unit_name(tree, code: str, lang: str) -> str:
    node = tree.nodes[code]
    return node.name if lang == "zh" else node.name_en


@lru_cache(maxsize=1)
def unit_shapes() -> dict[str, list]:
    """code -> outer rings [[lon, lat], ...] from the schematic map (assets/geo)."""
    path = ROOT / "assets" / "geo" / "units.geojson"
    if not path.exists():
        return {}
    shapes: dict[str, list] = {}
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        shapes[feature["properties"]["code"]] = [polygon[0] for polygon in polygons]
    return shapes


def allowed_unit(tree, user_unit: str, code: str | None) -> bool:
    """A unit the user may look at and drill to: within their subtree, at a drill level (or their own)."""
    return bool(code) and code in tree.nodes and tree.is_within(code, user_unit) and (
        code == user_unit or tree.nodes[code].level in DRILL_LEVELS)


def initial_window(query: dict, now) -> tuple[str, Window]:
    name = query.get("range") or ("custom" if query.get("from") or query.get("to") else "30d")
    try:
        from datetime import date

        start = date.fromisoformat(query["from"]) if query.get("from") else None
        end = date.fromisoformat(query["to"]) if query.get("to") else None
        return name, window_for(name if name in RANGES else "30d", today(now), start, end)
    except ValueError:
        return "30d", window_for("30d", today(now))


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def layout(lang: str | None = None, **query) -> html.Div:
    gate = login_required_page("/trends", roles=ROLES, lang=lang)
    if gate is not None:
        return gate
    _ = Translator(request_lang(lang))
    user = session_user()
    svc = current_services()
    tree = svc.tree
    unit = query.get("unit") if allowed_unit(tree, user.unit, query.get("unit")) else user.unit
    range_name, window = initial_window(query, svc.clock())
    categories = [c for c in _split(query.get("category")) if c in INCIDENT_CATEGORIES]
    priorities = [int(p) for p in _split(query.get("priority")) if p in ("1", "2", "3", "4")]
    zh = _.lang == "zh"
    config = {"unit": user.unit, "lang": _.lang, "labels": _.many(UI_TEXT),
              "ids": {"badge": BADGE, "live": LIVE}}  # assets/trends.js looks its elements up by these names
    other = "en" if zh else "zh"
    return html.Div(className="trends", lang="zh-CN" if zh else "en", children=[
        dcc.Store(id=CONFIG, data=config),
        dcc.Store(id=UNIT, data=unit),
        # Clicked by assets/trends.js when pushed messages arrive (set_props on a Store did not fire callbacks).
        html.Button(id=LIVE, n_clicks=0, hidden=True, tabIndex="-1", **{"aria-hidden": "true"}),
        dcc.Store(id=STARTED),
        html.Header(className="trends-header", children=[
            html.H1(_("Trends")),
            html.Nav(id=CRUMBS, className="trends-crumbs"),
            html.Div(className="trends-user", children=[
                html.Span(id=STATUS, className="trends-status"),
                html.Span(_("connecting"), id=BADGE, className="badge badge-connecting"),
                html.Span(f"{user.name} · {unit_name(tree, user.unit, _.lang)}"),
                html.A("English" if other == "en" else "中文", href=f"/trends?lang={other}", className="trends-lang"),
                html.Form(action="/logout", method="post", children=[
                    dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
                    html.Button(_("Log out"), type="submit", className="console-button")]),
            ]),
        ]),
        html.Div(className="trends-controls", children=[
            dcc.RadioItems(id=RANGE, value=range_name, inline=True, className="trends-range",
                           options=[{"label": _(RANGE_LABELS[r]), "value": r} for r in RANGES]),
            dcc.DatePickerRange(id=DATES, start_date=window.start.isoformat(), end_date=window.end.isoformat(),
                                display_format="YYYY-MM-DD", first_day_of_week=1, className="trends-dates"),
            dcc.Dropdown(id=SUBUNIT, options=[], value=None, placeholder=_("Drill into a sub-unit"),
                         className="trends-dropdown trends-subunit", clearable=True),
            dcc.Dropdown(id=CATEGORY, multi=True, value=categories, placeholder=_("All categories"),
                         className="trends-dropdown trends-category",
                         options=[{"label": names[0 if zh else 1], "value": code}
                                  for code, names in INCIDENT_CATEGORIES.items()]),
            dcc.Dropdown(id=PRIORITY, multi=True, value=priorities, placeholder=_("All priorities"),
                         className="trends-dropdown trends-priority",
                         options=[{"label": f"P{p}", "value": p} for p in (1, 2, 3, 4)]),
        ]),
        html.Section(id=KPIS, className="trends-kpis", children=kpi_tiles(_, {})),
        html.Main(className="trends-grid", children=[panel_section(_, name) for name in ORDER]),
    ])


def kpi_tiles(_: Translator, values: dict[str, str]) -> list:
    return [html.Div(className="trends-kpi", **{"data-kpi": key}, children=[
        html.Div(values.get(key, "–"), className="trends-kpi-value"), html.Div(_(label), className="trends-kpi-label")])
        for key, label in KPI_TILES]


def panel_section(_: Translator, name: str) -> html.Section:
    if name == "departments":  # a table with links to the overdue cases (layouts/trends_scorecard.py)
        body = html.Div(id=TABLE, className="trends-scorecard")
    else:
        body = dcc.Graph(id=graph_id(name), config=graph_config(name), className="trends-graph",
                         style={"height": "17rem"})
    return html.Section(id=f"trends-panel-{name}", className=f"trends-panel trends-panel-{name}", children=[
        html.Header(className="trends-panel-header", children=[
            html.H2(_(PANEL_TITLES[name])),
            html.A(_("CSV"), id=csv_id(name), className="trends-csv", href="", download=f"trends-{name}.csv",
                   title=_("Export the panel's rows as CSV")),
        ]),
        body,
    ])


def crumbs(tree, user_unit: str, unit: str, lang: str) -> list:
    """The way back from `unit` to the user's own unit: buttons, the current one last and inert."""
    path = list(reversed(tree.lineage(unit)))
    path = path[path.index(user_unit):] if user_unit in path else [unit]
    out: list = []
    for i, code in enumerate(path):
        if i:
            out.append(html.Span("›", className="trends-crumb-sep"))
        if code == unit:
            out.append(html.Span(unit_name(tree, code, lang), className="trends-crumb current", **{"data-unit": code}))
        else:
            out.append(html.Button(unit_name(tree, code, lang), id={"type": CRUMB, "unit": code}, n_clicks=0,
                                   className="trends-crumb", **{"data-unit": code}))
    return out
