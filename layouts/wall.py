"""`/wall/<unit code>`: a command centre's big screen.

The layout is rendered once; assets/wall*.js fill it from a snapshot and then
from pushed messages, one row per message (no refetch, no polling). Query
parameters: `lang=en` (remembered in a cookie), `screen=TOKEN` (a screen
link, see dashboard.actions.screen_links), `stale=AMBER,RED` (seconds without a message
before the badge turns amber, then red), `reload=HH:MM|off` (the daily
page reload, district time), `mute=1`.
"""
from __future__ import annotations

import re

from dash import dcc, html
from flask import request

from dashboard.auth.sessions import session_user
from dashboard.domain.events import INCIDENT_CATEGORIES, MEDIATION_CHANNELS, TRANSFER_TARGETS, TYPES
from dashboard.domain.lifecycle import INCIDENT_STATUSES, MEDIATION_STATUSES, PATROL_STATUSES
from dashboard.domain.unit_tree import UnitTree
from dashboard.store.instance_mode import is_drill
from dashboard.i18n import COOKIE, Translator, pick_lang
from dashboard.auth.access import AccessRefused, check_unit, credential_of
from dashboard.domain.times import CST
from dashboard.realtime.live import PING_INTERVAL_S
from dashboard.services import current_services
from dashboard.store.wall_queries import grids_by_child
from layouts import ids, wall_panels

STATUSES = sorted({*INCIDENT_STATUSES, *PATROL_STATUSES, *MEDIATION_STATUSES})
ALERT_ACTIONS = ("raised", "escalated", "rearmed", "acknowledged", "resolved")
STALE_S = (120, 600)      # defaults: amber after 2 minutes without a message, red after 10
RELOAD_AT = "04:00"       # the quietest hour of a centre's day

UI_TEXT = ["level:community", "level:street", "level:district", "short:community", "short:street", "short:district", "stage:acknowledge", "stage:arrive",
           "stage:resolve", "stage:checkpoint", "stage:surge", "mute", "unmute", "sound on", "sound off", "live",
           *(f"status:{s}" for s in STATUSES), *(f"alert:{a}" for a in ALERT_ACTIONS), "alert:raised:surge", "connecting",
           "reconnecting", "catching up", "offline", "quiet", "no messages", "link silent", "last message", "s ago", "min ago",
           "no message yet", "incident", "patrol", "mediation", "more", "ticker:unread", "ticker:unread:title",
           "Snapshot reloaded: the gap was too long to replay",
           "Too many open items: the wall shows the first ones only", "Month mediation figures are unavailable",
           "This wall needs a screen link (ask for one) or a login.",
           "This screen link has been revoked or is unknown.", "This screen link is for another unit."]

_SUFFIXES = {"zh": ("街道", "镇", "社区", "区"), "en": (" Street", " Town", " Community", " District")}


def ui_labels(_: Translator) -> dict:
    zh = _.lang == "zh"
    all_types = sorted({t for types in TYPES.values() for t in types})
    return {
        "ui": _.many(UI_TEXT),
        "types": _.many(all_types),
        "categories": {k: (v[0] if zh else v[1]) for k, v in {**INCIDENT_CATEGORIES, **MEDIATION_CHANNELS}.items()},
        "channels": {c: _(f"channel:{c}") for c in TRANSFER_TARGETS},
        "weekdays": [_(f"weekday:{d}") for d in range(7)],
    }


def short_name(tree: UnitTree, code: str, lang: str, wall_level: str = "community") -> str:
    """What a map or a table cell has room for: 巴川街道 → 巴川; a grid is 第1网格 on its
    community's wall and 正街第1网格 above it (every community has a 第1网格)."""
    node = tree.nodes[code]
    name = node.name if lang == "zh" else node.name_en
    if node.level == "grid" and node.parent in tree.nodes:
        parent = tree.nodes[node.parent]
        prefix = parent.name if lang == "zh" else parent.name_en.removesuffix(" Community") + " "
        grid = name.removeprefix(prefix) or name
        if wall_level == "community":
            return grid
        return short_name(tree, parent.code, lang) + ("" if lang == "zh" else " ") + grid
    for suffix in _SUFFIXES[lang]:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _stale(raw: str | None) -> list[int]:
    match = re.fullmatch(r"(\d{1,6}),(\d{1,6})", raw or "")
    if match and 0 < int(match[1]) < int(match[2]):
        return [int(match[1]), int(match[2])]
    return list(STALE_S)


def _reload_at(raw: str | None) -> str | None:
    if raw == "off":
        return None
    return raw if raw and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", raw) else RELOAD_AT


def layout(unit_code: str | None = None, lang: str | None = None, screen: str | None = None,
           stale: str | None = None, reload: str | None = None, **_query) -> html.Div:
    _ = Translator(pick_lang(lang, request.cookies.get(COOKIE)))
    svc = current_services()
    tree = svc.tree
    node = tree.get(unit_code or "")
    if node is None:
        return html.Div(f"{_('Unknown unit')}: {unit_code}", className="wall-missing")
    try:
        check_unit(svc, credential_of(svc, user=session_user(), screen=screen), node.code)
    except AccessRefused as exc:
        return html.Div(_(exc.reason), className="wall-missing", id=ids.WALL_REFUSED)
    drill = is_drill(svc.engine, svc.settings)
    subtree = tree.subtree(node.code)
    name = (lambda c: tree.nodes[c].name) if _.lang == "zh" else (lambda c: tree.nodes[c].name_en)
    children = list(tree.children.get(node.code, []))
    config = {
        "unit": node.code, "level": node.level, "lang": _.lang, "labels": ui_labels(_),
        "units": {c: name(c) for c in subtree},
        "short": {c: short_name(tree, c, _.lang, node.level) for c in subtree},
        "parents": {c: tree.nodes[c].parent for c in subtree if c != node.code},
        "children": children, "grids": grids_by_child(tree, node.code),
        "tz_offset_min": int(CST.utcoffset(None).total_seconds() // 60),
        "stale_s": _stale(stale), "ping_s": PING_INTERVAL_S, "reload_at": _reload_at(reload), "screen": screen or None, "drill": drill,
        "ids": ids.for_script("WALL", **{f"med_{c}": ids.wall_med_channel(c) for c in wall_panels.CHANNELS}),
    }
    return html.Div(id=ids.WALL_ROOT, className=f"wall wall-{node.level}" + (" wall-drill" if drill else ""),
                    lang="zh-CN" if _.lang == "zh" else "en", children=[
        dcc.Store(id=ids.WALL_CONFIG, data=config),
        dcc.Store(id=ids.WALL_STARTED),
        _header(_, node.level, name(node.code), drill),
        html.Div(id=ids.WALL_BANNER, className="wall-banner", hidden=True, role="alert"),
        html.Div(id=ids.WALL_NOTICE, className="wall-notice", hidden=True, role="status"),
        html.Div(id=ids.WALL_REFUSED, className="wall-refused", hidden=True, role="alert"),
        wall_panels.kpi_tiles(_),
        wall_panels.body(_, node.level, bool(children)),
    ])


def _header(_: Translator, level: str, name: str, drill: bool) -> html.Header:
    centre = _("Social Governance Innovation Centre") if level == "district" else _("Command Centre")
    return html.Header(className="wall-header", children=[
        html.H1(className="wall-title", children=[html.Span(name, className="wall-unit"),
                                                  html.Span(centre, className="wall-centre")]),
        html.Div(_("DRILL"), id=ids.WALL_DRILL, className="wall-drill-marker", hidden=not drill),
        html.Div(className="wall-status", children=[
            html.Div(id=ids.WALL_DATE, className="wall-date"),
            html.Div(id=ids.WALL_CLOCK, className="wall-clock"),
            html.Div(_("connecting"), id=ids.WALL_BADGE, className="badge badge-connecting", role="status"),
            html.Div(id=ids.WALL_LAST_AGE, className="wall-last-age"),
            html.Button(_("sound on"), id=ids.WALL_MUTE, className="wall-mute", n_clicks=0),
        ]),
    ])
