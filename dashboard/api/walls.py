"""Wall endpoints of the read API: a wall's snapshot, and the check a screen
makes now and then that its link still opens the wall (see dashboard.actions.screen_links)."""
from __future__ import annotations

from flask import Blueprint, jsonify

from dashboard.api import error
from dashboard.store.instance_mode import is_drill
from dashboard.services import Services, current_services
from dashboard.store.wall_queries import wall_snapshot


def _refusal(svc: Services, unit: str):
    """The error answer when `unit` is unknown, else None. Access (401 for a wrong or revoked
    screen link, 403 out of scope) was decided before the handler (dashboard.auth.access)."""
    if unit not in svc.tree:
        return error(404, f"unknown unit {unit!r}")
    return None


def add_routes(api: Blueprint) -> None:
    api.get("/walls/<unit>")(get_wall)
    api.get("/walls/<unit>/access")(get_wall_access)


def get_wall(unit: str):
    """Everything the wall of `unit` shows; it then resumes after `head` on /live."""
    svc = current_services()
    refused = _refusal(svc, unit)
    if refused:
        return refused
    snapshot = wall_snapshot(svc.engine, tree=svc.tree, unit=unit, now=svc.clock())
    snapshot["drill"] = is_drill(svc.engine, svc.settings)
    return jsonify(snapshot)


def get_wall_access(unit: str):
    """A screen asks now and then whether its link still opens the wall."""
    return _refusal(current_services(), unit) or jsonify({"ok": True})
