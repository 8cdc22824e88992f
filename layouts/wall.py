"""`/wall/<unit code>`: the skeleton of a wall display.

The layout is rendered once; assets/wall.js fills it from a snapshot and then
from pushed messages, updating one row per message (no refetch, no polling).
"""
from __future__ import annotations

from dash import dcc, html
from flask import current_app, request

from dashboard.domain.events import INCIDENT_CATEGORIES, MEDIATION_CHANNELS, TYPES
from dashboard.domain.lifecycle import INCIDENT_STATUSES, MEDIATION_STATUSES, PATROL_STATUSES

STATUSES = sorted({*INCIDENT_STATUSES, *PATROL_STATUSES, *MEDIATION_STATUSES})
ALERT_ACTIONS = ("raised", "escalated", "rearmed", "acknowledged", "resolved")
from dashboard.i18n import COOKIE, Translator, pick_lang
from layouts import ids

UI_TEXT = ["level:community", "level:street", "level:district", "stage:acknowledge", "stage:arrive",
           "stage:resolve", "stage:checkpoint", "stage:surge", "mute", "unmute", "sound on", "sound off", "live",
           *(f"status:{s}" for s in STATUSES), *(f"alert:{a}" for a in ALERT_ACTIONS), "connecting", "reconnecting", "catching up", "offline", "last message", "s ago", "min ago",
           "no message yet", "incident", "patrol", "mediation", "Snapshot reloaded: the gap was too long to replay"]

# KPI tiles declared as data: (key in the wall state, label).
KPI_TILES = [
    ("incident", "Open incidents"),
    ("patrol", "Active patrols"),
    ("mediation", "Open mediations"),
    ("events_today", "Events today"),
    ("alerts", "Active alerts"),
]


def _labels(_: Translator) -> dict:
    zh = _.lang == "zh"
    all_types = sorted({t for types in TYPES.values() for t in types})
    return {
        "ui": _.many(UI_TEXT),
        "types": _.many(all_types),
        "categories": {k: (v[0] if zh else v[1]) for k, v in {**INCIDENT_CATEGORIES, **MEDIATION_CHANNELS}.items()},
    }


def layout(unit_code: str | None = None, lang: str | None = None, **_query) -> html.Div:
    _ = Translator(pick_lang(lang, request.cookies.get(COOKIE)))
    tree = current_app.extensions["dashboard"].tree
    node = tree.get(unit_code or "")
    if node is None:
        return html.Div(f"{_('Unknown unit')}: {unit_code}", className="wall-missing")
    name = node.name if _.lang == "zh" else node.name_en
    units = {c: (tree.nodes[c].name if _.lang == "zh" else tree.nodes[c].name_en) for c in _subtree(tree, node.code)}
    config = {"unit": node.code, "level": node.level, "lang": _.lang, "labels": _labels(_), "units": units}
    return html.Div(id=ids.WALL_ROOT, className=f"wall wall-{node.level}", lang="zh-CN" if _.lang == "zh" else "en",
                    children=[
        dcc.Store(id=ids.WALL_CONFIG, data=config),
        dcc.Store(id=ids.WALL_STARTED),
        html.Header(className="wall-header", children=[
            html.Div([html.Div(name, className="wall-title"),
                      html.Div(_("Social Governance Command Centre"), className="wall-subtitle")]),
            html.Div(className="wall-status", children=[
                html.Div(id=ids.WALL_DATE, className="wall-date"),
                html.Div(id=ids.WALL_CLOCK, className="wall-clock"),
                html.Div(_("connecting"), id=ids.WALL_BADGE, className="badge badge-connecting"),
                html.Div(id=ids.WALL_LAST_AGE, className="wall-last-age"),
                html.Button(_("sound on"), id=ids.WALL_MUTE, className="wall-mute", n_clicks=0),
            ]),
        ]),
        html.Div(id=ids.WALL_BANNER, className="wall-banner", hidden=True, role="alert"),
        html.Div(id=ids.WALL_NOTICE, className="wall-notice", hidden=True),
        html.Section(id=ids.WALL_KPIS, className="wall-kpis", children=[
            html.Div(className="kpi", **{"data-kpi": key}, children=[
                html.Div("–", className="kpi-value"), html.Div(_(label), className="kpi-label")])
            for key, label in KPI_TILES
        ]),
        html.Main(className="wall-body", children=[
            html.Section(className="panel panel-items", children=[
                html.H2(_("Open items")), html.Ul(id=ids.WALL_OPEN_ITEMS, className="item-list")]),
            html.Section(className="panel panel-ticker", children=[
                html.H2(_("Live feed")), html.Ul(id=ids.WALL_TICKER, className="ticker")]),
        ]),
    ])


def _subtree(tree, code: str) -> list[str]:
    out, stack = [], [code]
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(tree.children.get(c, []))
    return out
