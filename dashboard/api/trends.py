"""Trend panel endpoints of the read API.

`GET /api/v1/trends?unit=CODE` lists the panels (and the `head` seq, so a live
page can resume after it); `GET /api/v1/trends/<panel>` answers one panel:

| parameter  | meaning                                                                  |
| unit       | a unit code within the user's own subtree (default: the user's unit)     |
| range      | today, 7d, 30d, year (this calendar year) or custom (default 30d)        |
| from, to   | YYYY-MM-DD, China time, both included (custom; either implies custom)    |
| category   | incident category codes, comma-separated (default: all)                  |
| priority   | 1..4, comma-separated (default: all)                                     |
| format     | json (default) or csv (UTF-8 with BOM, same columns and rows)            |
| lang       | zh or en: the language of the *_name columns (default: the lang cookie)  |

A user is the browser session or HTTP Basic (401 without); a unit outside
the user's subtree is 403; a bad parameter is 422 naming it (as elsewhere
in the read API); an unknown panel 404. Category and priority filter incidents (and their
alerts); the mediation and patrol panels have neither (`filtered`: false).
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from dashboard.actions.rollups import apply_pending_rollups
from dashboard.api import BadQuery, csv_response, day_arg, error, format_arg, signed_in_user, user_unit_arg
from dashboard.auth.views import request_lang
from dashboard.domain.events import INCIDENT_CATEGORIES
from dashboard.domain.trends import RANGES, today, window_for
from dashboard.services import Services, current_services, utcnow
from dashboard.store.queries import current_head
from dashboard.store.serialize import iso
from dashboard.domain.trend_rows import COLUMNS, FILTERED, PANELS, TrendQuery, label_rows
from dashboard.store.trends import answer


def _list_arg(name: str) -> list[str]:
    raw = request.args.get(name)
    if raw is None:
        return []
    parts = [part.strip() for part in raw.split(",")]
    if not all(parts):
        raise BadQuery(name, "comma-separated values, none empty (leave the parameter out for all)")
    return parts


def trend_query(svc: Services, unit: str) -> TrendQuery:
    """The query the request's parameters describe (BadQuery when they do not)."""
    start, end = day_arg("from"), day_arg("to")
    name = request.args.get("range", "custom" if start or end else "30d")
    if name not in RANGES:
        raise BadQuery("range", f"one of {', '.join(RANGES)}")
    try:
        window = window_for(name, today(svc.clock()), start, end)
    except ValueError as exc:
        raise BadQuery("from" if name == "custom" else "range", str(exc)) from None
    categories = _list_arg("category")
    unknown = [c for c in categories if c not in INCIDENT_CATEGORIES]
    if unknown:
        raise BadQuery("category", f"unknown categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}")
    priorities = _list_arg("priority")
    if any(p not in ("1", "2", "3", "4") for p in priorities):
        raise BadQuery("priority", "1 (urgent) to 4 (routine), comma-separated")
    return TrendQuery(unit=unit, window=window, categories=tuple(categories),
                      priorities=tuple(sorted({int(p) for p in priorities})))


def _scoped_unit(svc: Services, user) -> str | tuple:
    unit = user_unit_arg(svc, user)
    if user.unit not in svc.tree.lineage(unit):
        return error(403, f"unit {unit} lies outside the unit {user.unit} of user {user.name}")
    return unit


def add_routes(api: Blueprint) -> None:
    api.get("/trends")(get_trend_index)
    api.get("/trends/<panel>")(get_trend_panel)


def get_trend_index():
    svc = current_services()
    user = signed_in_user()
    unit = _scoped_unit(svc, user)
    if isinstance(unit, tuple):
        return unit
    return jsonify({"unit": unit, "panels": {name: list(COLUMNS[name]) for name in PANELS},
                    "head": current_head(svc.engine), "server_time": iso(utcnow())})


def get_trend_panel(panel: str):
    svc = current_services()
    user = signed_in_user()
    if panel not in PANELS:
        return error(404, f"no trend panel {panel!r}; panels: {', '.join(PANELS)}")
    unit = _scoped_unit(svc, user)
    if isinstance(unit, tuple):
        return unit
    if request.args.get("lang", "zh") not in ("zh", "en"):
        raise BadQuery("lang", "zh or en")
    fmt = format_arg()
    q = trend_query(svc, unit)
    apply_pending_rollups(svc)
    result = answer(svc.engine, panel, tree=svc.tree, q=q, policy=svc.policy, now=svc.clock())
    columns, rows = label_rows(result, svc.tree, request_lang(), svc.departments)
    if fmt == "csv":
        return csv_response(columns, rows, f"trends-{panel}-{unit}-{q.window.start}-{q.window.end}.csv")
    return jsonify({"panel": panel, "unit": unit, "from": q.window.start.isoformat(), "to": q.window.end.isoformat(),
                    "grain": result.grain, "categories": list(q.categories), "priorities": list(q.priorities),
                    "filtered": panel in FILTERED, "columns": columns, "rows": rows, "count": len(rows)})

