"""Wall endpoints of the read API: a wall's snapshot, and the check a screen
makes now and then that its link still opens the wall (see dashboard.screens)."""
from __future__ import annotations

from flask import jsonify, request

from dashboard.api import api, error, services
from dashboard.auth import api_user
from dashboard.drill import is_drill
from dashboard.screens import Access, wall_access
from dashboard.services import Services
from dashboard.store.wall_queries import wall_snapshot


def screen_access(svc: Services, unit: str) -> Access:
    """The wall access of this request: its `screen` token, or its user."""
    user = api_user()
    return wall_access(svc.engine, svc.tree, unit=unit, token=request.args.get("screen"),
                       user_unit=user.unit if user else None, now=svc.clock())


def _refusal(svc: Services, unit: str):
    """The error answer when `unit`'s wall is unknown or closed to this request, else None."""
    if unit not in svc.tree:
        return error(404, f"unknown unit {unit!r}")
    access = screen_access(svc, unit)
    return None if access.ok else error(403, access.reason)


@api.get("/walls/<unit>")
def get_wall(unit: str):
    """Everything the wall of `unit` shows; it then resumes after `head` on /live."""
    svc = services()
    refused = _refusal(svc, unit)
    if refused:
        return refused
    snapshot = wall_snapshot(svc.engine, tree=svc.tree, unit=unit, now=svc.clock())
    snapshot["drill"] = is_drill(svc.engine, svc.settings)
    return jsonify(snapshot)


@api.get("/walls/<unit>/access")
def get_wall_access(unit: str):
    """A screen asks now and then whether its link still opens the wall."""
    return _refusal(services(), unit) or jsonify({"ok": True})
