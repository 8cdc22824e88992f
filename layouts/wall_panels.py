"""The panels of a wall, declared per level; assets/wall_panels.js fills them.

Each level shows its own picture (DOMAIN "The people who use it"): the
district its streets and towns as a league table and map, district-level
alerts and the patrol and mediation figures; a street the same for its
communities plus its alerts and open incidents; a community its grids, its
open incidents with ticking clocks, and its patrols and mediations.
"""
from __future__ import annotations

from dash import dcc, html

from dashboard.i18n import Translator
from layouts import ids

# KPI tiles: (key, label msgid, sub-values [(key, label msgid)] or None).
KPI_TILES = [
    ("new_today", "kpi:new", None),
    ("incident", "kpi:open", None),
    ("resolved_today", "kpi:resolved", None),
    ("ontime", "kpi:ontime", [("acknowledge", "on time:acknowledge"), ("arrive", "on time:arrive"),
                              ("resolve", "on time:resolve")]),
    ("patrol", "kpi:patrols", None),
    ("mediation", "kpi:mediations", None),
    ("alerts", "kpi:alerts", [("community", "short:community"), ("street", "short:street"),
                              ("district", "short:district")]),
]

# The body: columns, each a stack of panels; a nested list stands side by side.
LEVEL_COLUMNS = {
    "district": [["map", "items"], ["league", "alerts"], ["patrols", "mediations", "ticker"]],
    "street": [["map", "league"], ["items", ["patrols", "mediations"]], ["alerts", "ticker"]],
    "community": [["map", "league"], ["items"], ["patrols", "mediations", "ticker"]],
}

# Panel titles by level; the second entry is for a unit without sub-units (a town).
MAP_TITLES = {"district": "Streets and towns map", "street": "Communities map", "community": "Grids map"}
LEAGUE_TITLES = {"district": "Streets and towns", "street": "Communities", "community": "Grids"}
LEAGUE_COLUMNS = ["#", "Unit", "league:open", "league:overdue", "league:ontime", "league:patrolled"]
CHANNELS = ["people", "administrative", "judicial"]


def kpi_tiles(_: Translator) -> html.Section:
    tiles = []
    for key, label, subs in KPI_TILES:
        if subs is None:
            body = [html.Div("–", className="kpi-value")]
        else:
            body = [html.Div(className="kpi-subs", children=[
                html.Div(className="kpi-sub", **{"data-sub": sub}, children=[
                    html.Span("–", className="kpi-sub-value"), html.Span(_(sub_label), className="kpi-sub-label")])
                for sub, sub_label in subs])]
        tiles.append(html.Div(className=f"kpi kpi-{key}" + (" kpi-wide" if subs else ""), **{"data-kpi": key},
                              children=[*body, html.Div(_(label), className="kpi-label")]))
    return html.Section(id=ids.WALL_KPIS, className="wall-kpis", children=tiles)


def body(_: Translator, level: str, has_children: bool) -> html.Main:
    columns = []
    for stack in LEVEL_COLUMNS[level]:
        cells = [html.Div(className="wall-row", children=[_panel(_, p, level, has_children) for p in entry])
                 if isinstance(entry, list) else _panel(_, entry, level, has_children) for entry in stack]
        columns.append(html.Div(className="wall-col", children=cells))
    return html.Main(className="wall-body", children=columns)


def _panel(_: Translator, name: str, level: str, has_children: bool) -> html.Section:
    return _BUILDERS[name](_, level, has_children)


def _section(name: str, title: str, children: list) -> html.Section:
    return html.Section(className=f"panel panel-{name}", children=[html.H2(title), *children])


def _map(_: Translator, level: str, has_children: bool) -> html.Section:
    title = _(MAP_TITLES[level]) if has_children else _("Map")
    graph = dcc.Graph(id=ids.WALL_MAP, className="wall-map", responsive=True, style={"height": "100%"},
                      config={"staticPlot": True, "displayModeBar": False},
                      figure={"data": [], "layout": {"paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
                                                     "xaxis": {"visible": False}, "yaxis": {"visible": False},
                                                     "margin": {"l": 0, "r": 0, "t": 0, "b": 0}}})
    legend = html.Div(className="map-legend", children=[
        html.Span(_(text), className=f"legend-{key}") for key, text in
        (("ok", "legend:ok"), ("amber", "legend:amber"), ("red", "legend:red"), ("patrol", "legend:patrol"))])
    return _section("map", title, [html.Div(graph, className="map-box"), legend])


def _league(_: Translator, level: str, has_children: bool) -> html.Section:
    title = _(LEAGUE_TITLES[level]) if has_children else _("Overview")
    head = html.Div(className="league-row league-head",
                    children=[html.Span(_(c), className=f"lg-{k}") for c, k in
                              zip(LEAGUE_COLUMNS, ("rank", "name", "open", "overdue", "ontime", "cover"))])
    heads = [head, head] if level == "district" else [head]
    return _section("league", title, [html.Div(heads, className="league-heads"),
                                      html.Div(id=ids.WALL_LEAGUE, className="league-body")])


def _items(_: Translator, level: str, has_children: bool) -> html.Section:
    # The district lists only its most urgent incidents; the league table carries the rest.
    return _section("items", _("Most urgent incidents" if level == "district" else "Open incidents"), [
        html.Div(_("No open incidents"), id=ids.WALL_ITEMS_EMPTY, className="list-empty", hidden=True),
        html.Ul(id=ids.WALL_OPEN_ITEMS, className="item-list"),
        html.Div(id=ids.WALL_ITEMS_MORE, className="list-more", style={"visibility": "hidden"}),
    ])


def _alerts(_: Translator, level: str, has_children: bool) -> html.Section:
    title = _("District-level alerts") if level == "district" else _("Alerts")
    return _section("alerts", title, [
        html.Div(_("No active alerts"), id=ids.WALL_ALERTS_EMPTY, className="list-empty", hidden=True),
        html.Ul(id=ids.WALL_ALERTS, className="alert-list"),
        html.Div(id=ids.WALL_ALERTS_MORE, className="list-more", style={"visibility": "hidden"}),
    ])


def _stat(_: Translator, stat_id: str, label: str) -> html.Div:
    return html.Div(className="stat", children=[html.Div("–", id=stat_id, className="stat-value"),
                                                html.Div(_(label), className="stat-label")])


def _patrols(_: Translator, level: str, has_children: bool) -> html.Section:
    return _section("patrols", _("Patrols"), [
        html.Div(className="stats", children=[
            _stat(_, ids.WALL_PATROL_ACTIVE, "patrol:active"),
            _stat(_, ids.WALL_PATROL_COVER, "patrol:covered"),
            _stat(_, ids.WALL_PATROL_LATE, "patrol:late"),
        ]),
        html.Ul(id=ids.WALL_PATROL_LIST, className="mini-list"),
    ])


def _mediations(_: Translator, level: str, has_children: bool) -> html.Section:
    return _section("mediations", _("Mediations"), [
        html.Div(className="stats", children=[
            *(_stat(_, ids.wall_med_channel(c), f"channel:{c}") for c in CHANNELS),
            _stat(_, ids.WALL_MED_OVERDUE, "mediation:overdue"),
            _stat(_, ids.WALL_MED_SUCCESS, "mediation:success"),
        ]),
        html.Ul(id=ids.WALL_MED_LIST, className="mini-list"),
    ])


def _ticker(_: Translator, level: str, has_children: bool) -> html.Section:
    overflow = html.Span(id=ids.WALL_TICKER_OVERFLOW, className="ticker-overflow", hidden=True)
    return html.Section(className="panel panel-ticker", children=[
        html.H2([_("Live feed"), overflow]), html.Ul(id=ids.WALL_TICKER, className="ticker")])


_BUILDERS = {"map": _map, "league": _league, "items": _items, "alerts": _alerts, "patrols": _patrols,
             "mediations": _mediations, "ticker": _ticker}
