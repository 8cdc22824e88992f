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
from dashboard.domain.events import INCIDENT_CATEGORIES, MEDIATION_CHANNELS
from dashboard.services import Services
from dashboard.store.case_file import KINDS, case_file
from dashboard.store.queries import current_head


def require_case_scope(svc: Services, unit: str):
    """The read-access rule for one item of `unit` (CONTRACT "Access"): None when allowed, else the
    error answer. The single place where the central scope check plugs in; until then, a
    logged-in user (session or HTTP Basic) sees the items of their own subtree only."""
    user = api_user()
    if user is not None and not can_act_on(user, unit, svc.tree):
        return error(403, f"item of unit {unit} lies outside the unit {user.unit} of user {user.name}")
    return None


def named(svc: Services, lang: str, *, unit: str | None = None, category: str | None = None,
          department: str | None = None) -> str | None:
    """The display name of one unit, category (or mediation channel) or department code."""
    zh = lang == "zh"
    if unit is not None:
        node = svc.tree.get(unit)
        return (node.name if zh else node.name_en) if node else unit
    if category is not None:
        names = INCIDENT_CATEGORIES.get(category) or MEDIATION_CHANNELS.get(category)
        return names[0 if zh else 1] if names else category
    if department is not None:
        spec = svc.departments.get(department)
        return (spec.name if zh else spec.name_en) if spec else department
    return None


def with_names(svc: Services, case: dict, lang: str) -> dict:
    case["unit_name"] = named(svc, lang, unit=case["unit"])
    case["unit_path"] = [{"code": c, "name": named(svc, lang, unit=c), "level": svc.tree.nodes[c].level}
                         for c in reversed(svc.tree.lineage(case["unit"]))]
    case["category_name"] = named(svc, lang, category=case["category"]) if case["category"] else None
    for holder in [case, *case["department_clocks"], *case["timeline"]]:
        if holder.get("department"):
            holder["department_name"] = named(svc, lang, department=holder["department"])
    return case


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
    return jsonify(with_names(svc, case, request_lang()))


@api.get("/departments")
def get_departments():
    svc = services()
    return jsonify({"count": len(svc.departments), "departments": [
        {"code": d.code, "name": d.name, "name_en": d.name_en} for d in svc.departments.values()]})
