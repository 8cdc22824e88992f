"""Dash Pages registration: each page owns a layout function, fresh per load."""
from __future__ import annotations

import dash
from dash import dcc, html

from layouts import case, console, home, trends, wall


def register_all() -> None:
    dash.register_page("home", path="/", layout=home.layout, title="社会治理指挥中心")
    dash.register_page("wall", path_template="/wall/<unit_code>", layout=wall.layout, title="指挥大屏")
    dash.register_page("alerts", path="/alerts", layout=console.layout, title="预警处置台")
    dash.register_page("trends", path="/trends", layout=trends.layout, title="趋势研判")
    dash.register_page("case", path_template="/case/<kind>/<ref>", layout=case.layout, title="案件档案")
    from callbacks import console as console_callbacks  # noqa: F401  (registers the clientside callbacks)
    from callbacks import trends as trends_callbacks  # noqa: F401
    from callbacks import wall as wall_callbacks  # noqa: F401


def root_layout() -> html.Div:
    return html.Div([dcc.Location(id="url"), dash.page_container], className="app-root")
