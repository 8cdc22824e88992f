"""`/alerts`: the staff console. The active alerts of the user's unit and
below, live, grouped (by level, stage or reason, category or unit — the user
picks) with counts, most overdue or newest first; acknowledge or resolve one
row, the selected rows or a whole group with a note; each row opens the case
file; browser notifications for new alerts at the user's level. Times are
district time whatever the browser's zone. Drawn by assets/console.js."""
from __future__ import annotations

from dash import dcc, html
from flask_wtf.csrf import generate_csrf

from dashboard.auth.sessions import session_user
from dashboard.auth.views import login_required_page, request_lang
from dashboard.i18n import Translator
from dashboard.domain.times import CST
from dashboard.services import current_services
from layouts import ids
from layouts.wall import UI_TEXT, ui_labels

GROUPINGS = ("level", "stage", "category", "unit")
CONSOLE_TEXT = ["Alert console", "Acknowledge", "Resolve", "Note", "Pending", "All active", "Log out",
                "Nothing to handle", "acknowledged by", "raised", "due", "failed:", "Group by", "group:level",
                "group:stage", "group:category", "group:unit", "Most overdue first", "Newest first",
                "Acknowledge selected", "Resolve selected", "selected", "Note for the selected alerts",
                "Enable notifications", "Notifications on", "Notifications blocked", "overdue", "left",
                "uncategorised", "done:", "refused:", "Select the group",
                "Select", "New alert", "newest", "Open the case file", "Show all", "Show fewer", "Level", "Unit", "Alert", "Item", "Raised", "State"]


def layout(lang: str | None = None, **_query) -> html.Div:
    gate = login_required_page("/alerts", lang=lang)
    if gate is not None:
        return gate
    _ = Translator(request_lang(lang))
    user = session_user()
    tree = current_services().tree
    node = tree.nodes[user.unit]
    name = (lambda c: tree.nodes[c].name) if _.lang == "zh" else (lambda c: tree.nodes[c].name_en)
    labels = ui_labels(_)
    labels["ui"].update(_.many(CONSOLE_TEXT + UI_TEXT))
    subtree = tree.subtree(user.unit)
    config = {"unit": user.unit, "level": node.level, "lang": _.lang, "csrf": generate_csrf(), "user": user.name,
              "labels": labels, "units": {c: name(c) for c in subtree},
              "parents": {c: tree.nodes[c].parent for c in subtree if c != user.unit},
              # District time on every page, whatever the browser's zone (CST has no DST).
              "tz_offset_min": int(CST.utcoffset(None).total_seconds() // 60),
              "ids": ids.for_script("CONSOLE")}  # assets/console.js looks its elements up by these names
    return html.Div(className="console", lang="zh-CN" if _.lang == "zh" else "en", children=[
        dcc.Store(id=ids.CONSOLE_CONFIG, data=config),
        dcc.Store(id=ids.CONSOLE_STARTED),
        html.Header(className="console-header", children=[
            html.H1(_("Alert console")),
            html.Div(className="console-user", children=[
                html.Button(_("Enable notifications"), id=ids.CONSOLE_NOTIFY, className="console-button",
                            hidden=True, type="button"),
                html.Span(f"{user.name} · {name(user.unit)}"),
                html.Span(id=ids.CONSOLE_CLOCK, className="console-clock"),
                html.Span(_("connecting"), id=ids.CONSOLE_BADGE, className="badge badge-connecting"),
                html.Form(action="/logout", method="post", children=[
                    dcc.Input(type="hidden", name="csrf_token", value=config["csrf"]),
                    html.Button(_("Log out"), type="submit", className="console-button")]),
            ]),
        ]),
        html.Div(className="console-filter", children=[
            html.Button(_("Pending"), id=ids.CONSOLE_FILTER_PENDING, className="console-button selected", **{"data-filter": "pending"}),
            html.Button(_("All active"), id=ids.CONSOLE_FILTER_ALL, className="console-button", **{"data-filter": "active"}),
            html.Span(_("Group by"), className="console-toolbar-label"),
            *[html.Button(_(f"group:{g}"), className="console-button" + (" selected" if g == "level" else ""),
                          **{"data-group": g}) for g in GROUPINGS],
            html.Span(className="console-toolbar-gap"),
            html.Button(_("Most overdue first"), className="console-button selected", **{"data-sort": "overdue"}),
            html.Button(_("Newest first"), className="console-button", **{"data-sort": "newest"}),
        ]),
        html.Div(className="console-bulk", children=[
            html.Span("0", id=ids.CONSOLE_SELECTED, className="console-selected-count"),
            html.Span(_("selected"), className="console-toolbar-label"),
            html.Span(id=ids.CONSOLE_BULK_NOTE, className="console-bulk-note"),  # a plain <input>, made by console.js
            html.Button(_("Acknowledge selected"), id=ids.CONSOLE_BULK_ACK, className="console-button console-ack",
                        disabled=True, type="button"),
            html.Button(_("Resolve selected"), id=ids.CONSOLE_BULK_RESOLVE,
                        className="console-button console-resolve", disabled=True, type="button"),
            html.Span(id=ids.CONSOLE_MESSAGE, className="console-message", role="status"),
        ]),
        html.Nav(id=ids.CONSOLE_SUMMARY, className="console-summary"),  # one chip per group, with its count
        html.Div(id=ids.CONSOLE_ROWS, className="console-groups"),
        html.Div(_("Nothing to handle"), id=ids.CONSOLE_EMPTY, className="console-empty", hidden=True),
    ])
