"""The case file and the department list.

`GET /api/v1/items/<kind>/<ref>`: one item's file (dashboard.store.case_file),
with names in the request's language (`lang`, else the lang cookie) next to
the codes; `404` for an unknown kind or ref. `GET /api/v1/departments`: the
district's functional departments, in display order.
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from dashboard.api import error
from dashboard.auth.access import require_unit
from dashboard.auth.views import request_lang
from dashboard.store.case_file import KINDS, case_file, with_names
from dashboard.store.queries import current_head
from dashboard.services import current_services


def add_routes(api: Blueprint) -> None:
    api.get("/items/<kind>/<path:ref>")(get_case_file)
    api.get("/departments")(get_departments)


def get_case_file(kind: str, ref: str):
    svc = current_services()
    if kind not in KINDS:
        return error(404, f"no item kind {kind!r}; kinds: {', '.join(KINDS)}")
    head = current_head(svc.engine)
    case = case_file(svc.engine, kind=kind, ref=ref, policy=svc.policy, now=svc.clock())
    if case is None:
        return error(404, f"no {kind} {ref!r}")
    require_unit(case["unit"])  # the blueprint's guard cannot know an item's unit before it is loaded
    case["head"] = head
    return jsonify(with_names(case, svc.tree, svc.departments, request_lang()))


def get_departments():
    svc = current_services()
    return jsonify({"count": len(svc.departments), "departments": [
        {"code": d.code, "name": d.name, "name_en": d.name_en} for d in svc.departments.values()]})
