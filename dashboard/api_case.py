"""The case file and the department list (joins the `api` blueprint on import).

`GET /api/v1/items/<kind>/<ref>`: one item's file (dashboard.store.case_file),
with names in the request's language (`lang`, else the lang cookie) next to
the codes; `404` for an unknown kind or ref. `GET /api/v1/departments`: the
district's functional departments, in display order.
"""
from __future__ import annotations

from flask import jsonify

from dashboard.api import api, error, services
from dashboard.auth import api_user, can_act_on, request_lang
from dashboard.services import Services
from dashboard.store.case_file import KINDS, case_file, with_names
from dashboard.store.queries import current_head


def require_case_scope(svc: Services, unit: str):
    """The read-access rule for one item of `unit` (CONTRACT "Access"): None when allowed, else the
    error answer. The single place where the central scope check plugs in; until then, a
    logged-in user (session or HTTP Basic) sees the items of their own subtree only."""
    user = api_user()
    if user is not None and not can_act_on(user, unit, svc.tree):
        return error(403, f"item of unit {unit} lies outside the unit {user.unit} of user {user.name}")
    return None


@api.get("/items/<kind>/<path:ref>")
def get_case_file(kind: str, ref: str):
    svc = services()
    if kind not in KINDS:
        return error(404, f"no item kind {kind!r}; kinds: {', '.join(KINDS)}")
    head = current_head(svc.engine)
    case = case_file(svc.engine, kind=kind, ref=ref, policy=svc.policy, now=svc.clock())
    if case is None:
        return error(404, f"no {kind} {ref!r}")
    refused = require_case_scope(svc, case["unit"])
    if refused is not None:
        return refused
    case["head"] = head
    return jsonify(with_names(case, svc.tree, svc.departments, request_lang()))


@api.get("/departments")
def get_departments():
    svc = services()
    return jsonify({"count": len(svc.departments), "departments": [
        {"code": d.code, "name": d.name, "name_en": d.name_en} for d in svc.departments.values()]})
