"""The API's blueprint: one per app, every resource's routes added to it
explicitly, plus the answers for unknown endpoints, bad queries and HTTP errors."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, request
from werkzeug.exceptions import HTTPException

from dashboard.api import (PREFIX, BadQuery, alerts, audit, case, error, events, me, openapi, patrols_mediations,
                           trends, units, walls)
from dashboard.auth.access import guard_api_read
from dashboard.services import current_services


def register(flask: Flask) -> None:
    """Add the API to `flask`: a blueprint of its own per app, every resource's routes on it."""
    api = Blueprint("api", __name__, url_prefix=PREFIX)
    api.before_request(guard_api_read)  # every read in scope of its credential (dashboard.auth.access)
    for resource in (events, units, walls, alerts, audit, case, trends, patrols_mediations, me, openapi):
        resource.add_routes(api)
    api.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])(unknown_endpoint)
    api.register_error_handler(BadQuery, bad_query)
    api.register_error_handler(HTTPException, http_error)
    flask.register_blueprint(api)


def bad_query(exc: BadQuery):
    return error(422, f"bad query parameter {exc.field!r}: {exc.message}",
                 [{"index": 0, "field": exc.field, "message": exc.message}])


def unknown_endpoint(rest: str):
    """Without this, Dash's catch-all page route would answer unknown API paths with HTML."""
    path = f"{PREFIX}/{rest}"
    allowed = sorted({m for rule in current_app.url_map.iter_rules() if rule.rule == path
                      for m in (rule.methods or ()) if m not in ("HEAD", "OPTIONS")})
    if allowed:
        response, status = error(405, f"{request.method} not allowed on {path}; use {', '.join(allowed)}")
        response.headers["Allow"] = ", ".join(allowed)
        return response, status
    return error(404, f"no such endpoint: {path} (see /api/v1/openapi.json)")


def http_error(exc: HTTPException):
    if exc.code == 413:
        limit = current_services().settings.max_body_bytes
        return error(413, f"body too large: at most {limit} bytes (send at most 1000 events per request)")
    return error(exc.code or 500, exc.description or exc.name)
