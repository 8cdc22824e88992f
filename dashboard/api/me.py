"""`GET /api/v1/me`: who the caller is (HTTP Basic, or the session), with
their unit's names and level. It checks its caller itself, so the blueprint's
read guard lets it through (dashboard.auth.access)."""
from __future__ import annotations

from flask import Blueprint, jsonify

from dashboard.api import signed_in_user
from dashboard.services import current_services


def add_routes(api: Blueprint) -> None:
    api.get("/me")(me)


def me():
    user = signed_in_user()
    body = user.to_json()
    node = current_services().tree.get(user.unit)
    if node is not None:
        body.update(unit_name=node.name, unit_name_en=node.name_en, unit_level=node.level)
    return jsonify(body)
