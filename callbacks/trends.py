"""Callbacks of /trends: a few lines each. `render` asks the store for the
panels' rows and hands them to the pure builders; `drill` moves the unit
(click on a sub-unit's bar or map cell, the sub-unit picker, the
breadcrumb), never outside the user's subtree."""
from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, no_update
from dash.exceptions import PreventUpdate

from dashboard.actions.rollups import apply_pending_rollups
from dashboard.api import BadQuery
from dashboard.auth.sessions import session_user
from dashboard.domain.events import INCIDENT_CATEGORIES
from dashboard.domain.times import CST
from dashboard.domain.trend_rows import PANELS, TrendQuery, label_rows
from dashboard.domain.trends import Window, today, window_for
from dashboard.i18n import Translator
from dashboard.services import current_services
from dashboard.store.scorecard import overdue_cases
from dashboard.store.trends import answer
from layouts import trends as page
from layouts import trends_figures as figures
from layouts import trends_scorecard as scorecard

clientside_callback(
    ClientsideFunction(namespace="trends", function_name="start"),
    Output(page.STARTED, "data"),
    Input(page.CONFIG, "data"),
)


def _window(range_name: str, start: str | None, end: str | None) -> Window:
    """The window the controls name; BadQuery (answered 422) for values no control sends."""
    now = today(current_services().clock())
    try:
        if range_name == "custom" and start and end:
            return window_for("custom", now, date.fromisoformat(start[:10]), date.fromisoformat(end[:10]))
        return window_for(range_name if range_name != "custom" else "30d", now)
    except (TypeError, ValueError) as exc:
        raise BadQuery("range" if range_name != "custom" else "start_date", str(exc)) from None


def _filters(categories, priorities) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The category and priority pickers' values, checked (BadQuery names the bad one)."""
    categories, priorities = categories or [], priorities or []
    if not isinstance(categories, list) or any(c not in INCIDENT_CATEGORIES for c in categories):
        raise BadQuery("category", "a list of incident category codes")
    if not isinstance(priorities, list) or any(str(p) not in ("1", "2", "3", "4") for p in priorities):
        raise BadQuery("priority", "a list of priorities 1 (urgent) to 4 (routine)")
    return tuple(categories), tuple(sorted({int(p) for p in priorities}))


@callback(Output(page.RANGE, "value"), Output(page.DATES, "start_date"), Output(page.DATES, "end_date"),
          Input(page.RANGE, "value"), Input(page.DATES, "start_date"), Input(page.DATES, "end_date"),
          prevent_initial_call=True)
def sync_range(range_name: str, start: str | None, end: str | None):
    """A named range shows its days in the picker; picking days makes the range custom."""
    if ctx.triggered_id == page.DATES:
        return ("custom", no_update, no_update) if range_name != "custom" else (no_update,) * 3
    if range_name == "custom":
        raise PreventUpdate
    window = _window(range_name, None, None)
    return no_update, window.start.isoformat(), window.end.isoformat()


def csv_href(panel: str, q: TrendQuery, lang: str) -> str:
    params = {"unit": q.unit, "range": "custom", "from": q.window.start.isoformat(), "to": q.window.end.isoformat()}
    if q.categories:
        params["category"] = ",".join(q.categories)
    if q.priorities:
        params["priority"] = ",".join(str(p) for p in q.priorities)
    params.update(format="csv", lang=lang)
    return f"/api/v1/trends/{panel}?{urlencode(params)}"


@callback([Output(page.graph_id(p), "figure") for p in page.CHARTS],
          [Output(page.csv_id(p), "href") for p in PANELS], Output(scorecard.TABLE, "children"),
          Output(page.CRUMBS, "children"), Output(page.SUBUNIT, "options"), Output(page.KPIS, "children"),
          Output(page.STATUS, "children"),
          Input(page.UNIT, "data"), Input(page.RANGE, "value"), Input(page.DATES, "start_date"),
          Input(page.DATES, "end_date"), Input(page.CATEGORY, "value"), Input(page.PRIORITY, "value"),
          Input(page.LIVE, "n_clicks"), State(page.CONFIG, "data"))
def render(unit, range_name, start, end, categories, priorities, _live, config):
    user = session_user()
    if user is None:
        raise PreventUpdate
    svc = current_services()
    window = _window(range_name, start, end)
    if ctx.triggered_id == page.LIVE and window.end < today(svc.clock()):
        raise PreventUpdate  # a pushed message changes nothing in a range that ended before today
    unit = unit if page.allowed_unit(svc.tree, user.unit, unit) else user.unit
    categories, priorities = _filters(categories, priorities)
    q = TrendQuery(unit=unit, window=window, categories=categories, priorities=priorities)
    _ = Translator(config["lang"])
    now = svc.clock()
    apply_pending_rollups(svc)
    rows = {name: label_rows(answer(svc.engine, name, tree=svc.tree, q=q, policy=svc.policy, now=now), svc.tree,
                             _.lang, svc.departments)[1] for name in PANELS}
    t = page.figure_labels(_)
    figs = [figures.units_figure(rows["units"], page.unit_shapes(), t) if name == "units"
            else figures.BUILDERS[name](rows[name], t) for name in page.CHARTS]
    table = scorecard.scorecard_table(rows["departments"], overdue_cases(svc.engine, tree=svc.tree, unit=unit,
                                                                         now=now), _, svc.policy.scorecard)
    hrefs = [csv_href(name, q, _.lang) for name in PANELS]
    drillable = svc.tree.nodes[unit].level in ("district", "street")
    options = [{"label": page.unit_name(svc.tree, c, _.lang), "value": c}
               for c in svc.tree.children.get(unit, []) if drillable and page.allowed_unit(svc.tree, user.unit, c)]
    status = f"{_('Updated')} {svc.clock().astimezone(CST):%H:%M:%S}"
    return (*figs, *hrefs, table, page.crumbs(svc.tree, user.unit, unit, _.lang), options,
            page.kpi_tiles(_, figures.kpis(rows)), status)


def _clicked_unit(click, figure: dict | None = None) -> str | None:
    """The unit code a click names: a bar's or marker's customdata, or (a map cell) its trace's meta."""
    points = (click or {}).get("points") or []
    if not points:
        return None
    data = points[0].get("customdata")
    if data is None and figure is not None:
        traces = figure.get("data") or []
        curve = points[0].get("curveNumber")
        data = traces[curve].get("meta") if isinstance(curve, int) and curve < len(traces) else None
    return data[0] if isinstance(data, list) else data


@callback(Output(page.UNIT, "data"), Output(page.SUBUNIT, "value"),
          Input(page.graph_id("ontime"), "clickData"), Input(page.graph_id("units"), "clickData"),
          Input({"type": page.CRUMB, "unit": ALL}, "n_clicks"), Input(page.SUBUNIT, "value"),
          State(page.UNIT, "data"), State(page.graph_id("units"), "figure"), prevent_initial_call=True)
def drill(ontime_click, map_click, _crumbs, picked, current, map_figure):
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):
        if not ctx.triggered[0].get("value"):
            raise PreventUpdate  # a breadcrumb was redrawn, not clicked
        target = trigger["unit"]
    elif trigger == page.SUBUNIT:
        target = picked
    else:
        target = _clicked_unit(ontime_click) if trigger == page.graph_id("ontime") else _clicked_unit(map_click, map_figure)
    user = session_user()
    svc = current_services()
    if user is None or target == current or not page.allowed_unit(svc.tree, user.unit, target):
        raise PreventUpdate
    return target, None
