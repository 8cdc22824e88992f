"""`/alerts`: the staff console. Alerts of the user's unit and below, live;
acknowledge with a note, then resolve. Rows are drawn by assets/console.js."""
from __future__ import annotations

from dash import dcc, html
from flask import current_app
from flask_wtf.csrf import generate_csrf

from dashboard.auth import login_required_page, request_lang, session_user
from dashboard.i18n import Translator
from layouts import ids
from layouts.wall import UI_TEXT, _labels, _subtree

CONSOLE_TEXT = ["Alert console", "Acknowledge", "Resolve", "Note", "Pending", "All active", "Log out",
                "Nothing to handle", "acknowledged by", "raised", "due", "failed:", "Open the case file"]


def layout(lang: str | None = None, **_query) -> html.Div:
    gate = login_required_page("/alerts", lang=lang)
    if gate is not None:
        return gate
    _ = Translator(request_lang(lang))
    user = session_user()
    tree = current_app.extensions["dashboard"].tree
    node = tree.nodes[user.unit]
    name = (lambda c: tree.nodes[c].name) if _.lang == "zh" else (lambda c: tree.nodes[c].name_en)
    labels = _labels(_)
    labels["ui"].update(_.many(CONSOLE_TEXT + UI_TEXT))
    config = {"unit": user.unit, "level": node.level, "lang": _.lang, "csrf": generate_csrf(), "user": user.name,
              "labels": labels, "units": {c: name(c) for c in _subtree(tree, user.unit)}}
    return html.Div(className="console", lang="zh-CN" if _.lang == "zh" else "en", children=[
        dcc.Store(id=ids.CONSOLE_CONFIG, data=config),
        dcc.Store(id=ids.CONSOLE_STARTED),
        html.Header(className="console-header", children=[
            html.H1(_("Alert console")),
            html.Div(className="console-user", children=[
                html.Span(f"{user.name} · {name(user.unit)}"),
                html.Span(_("connecting"), id=ids.CONSOLE_BADGE, className="badge badge-connecting"),
                html.Form(action="/logout", method="post", children=[
                    dcc.Input(type="hidden", name="csrf_token", value=config["csrf"]),
                    html.Button(_("Log out"), type="submit", className="console-button")]),
            ]),
        ]),
        html.Div(className="console-filter", children=[
            html.Button(_("Pending"), id=ids.CONSOLE_FILTER_PENDING, className="console-button selected", **{"data-filter": "pending"}),
            html.Button(_("All active"), id=ids.CONSOLE_FILTER_ALL, className="console-button", **{"data-filter": "active"}),
            html.Span(id=ids.CONSOLE_MESSAGE, className="console-message", role="status"),
        ]),
        html.Table(className="console-table", children=[
            html.Thead(html.Tr([html.Th(_(h)) for h in ("Level", "Unit", "Alert", "Item", "Raised", "State", "Note", "")])),
            html.Tbody(id=ids.CONSOLE_ROWS),
        ]),
        html.Div(_("Nothing to handle"), id=ids.CONSOLE_EMPTY, className="console-empty", hidden=True),
    ])
