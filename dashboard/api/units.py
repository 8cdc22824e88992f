"""The hierarchy and its incidents: `GET /api/v1/units` (answered to anyone)
and `GET /api/v1/incidents?unit=&status=`."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from dashboard.api import BadQuery, unit_arg
from dashboard.store.queries import items_in
from dashboard.services import current_services


def add_routes(api: Blueprint) -> None:
    api.get("/units")(get_units)
    api.get("/incidents")(get_incidents)


def get_units():
    svc = current_services()
    return jsonify([svc.tree.as_tree(code) for code in svc.tree.roots()])


def get_incidents():
    svc = current_services()
    unit = unit_arg(svc)
    status = request.args.get("status", "open")
    if status not in ("open", "closed", "all"):
        raise BadQuery("status", "one of open, closed, all")
    items = items_in(svc.engine, tree=svc.tree, unit=unit, kind="incident", status=status)
    return jsonify({"unit": unit, "status": status, "count": len(items), "incidents": items})
