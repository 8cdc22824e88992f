"""`/`: an index of the walls, by level (for setting up screens)."""
from __future__ import annotations

from flask import request
from dash import html

from dashboard.i18n import COOKIE, Translator, pick_lang
from dashboard.services import current_services


def layout(lang: str | None = None, **_query) -> html.Div:
    _ = Translator(pick_lang(lang, request.cookies.get(COOKIE)))
    tree = current_services().tree
    root = tree.roots()[0]
    name = (lambda n: n.name) if _.lang == "zh" else (lambda n: n.name_en)

    def link(code: str) -> html.A:
        return html.A(name(tree.nodes[code]), href=f"/wall/{code}", className="home-link")

    streets = tree.children.get(root, [])
    return html.Div(className="home", children=[
        html.H1(_("Social Governance Command Centre")),
        html.H2(_("Walls")),
        html.Div(link(root), className="home-district"),
        html.Div(className="home-streets", children=[
            html.Div([link(s), html.Div([link(c) for c in tree.children.get(s, [])], className="home-communities")],
                     className="home-street") for s in streets
        ]),
    ])
