"""The HTTP API (CONTRACT "Ingest API" and "Read API"): thin handlers that
parse, call one action or query, and shape the answer."""
from __future__ import annotations

import hmac
import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from dashboard import metrics
from dashboard.actions.ingest import IngestRejected, do_ingest_events
from dashboard.domain.events import EventIn, Problem, parse_batch
from dashboard.openapi import openapi_document
from dashboard.readiness import check_parts
from dashboard.services import Services
from dashboard.store.queries import current_head, items_in, messages_after

api = Blueprint("api", __name__, url_prefix="/api/v1")
probes = Blueprint("probes", __name__)


def services() -> Services:
    return current_app.extensions["dashboard"]


def error(status: int, message: str, details: list[dict] | None = None) -> tuple[Response, int]:
    body: dict[str, Any] = {"error": message}
    if details is not None:
        body["details"] = details
    return jsonify(body), status


def _bearer_ok(svc: Services) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return any(hmac.compare_digest(token.strip().encode(), t.encode()) for t in svc.settings.ingest_tokens)


@api.post("/events")
def post_events():
    svc = services()
    if not _bearer_ok(svc):
        return error(401, "missing or unknown bearer token (Authorization: Bearer <token>)")
    try:
        body = json.loads(request.get_data(cache=False) or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        return error(400, f"body is not readable JSON: {exc}")
    events, problems = parse_batch(body)
    if problems:
        metrics.EVENTS_REJECTED.inc(len(problems))
        return _rejected(problems)
    try:
        result = do_ingest_events(svc, events)
    except IngestRejected as exc:
        metrics.EVENTS_REJECTED.inc(len(exc.problems))
        return _rejected(exc.problems)
    metrics.EVENTS_ACCEPTED.inc(result.accepted)
    metrics.EVENTS_DUPLICATE.inc(result.duplicates)
    return jsonify(result.body()), 202


def _rejected(problems: list[Problem]):
    n = len({p.index for p in problems})
    return error(422, f"{n} event(s) rejected; nothing was stored", [p.model_dump() for p in problems])


def _unit_arg(svc: Services, required: bool = False) -> str:
    unit = request.args.get("unit")
    if unit is None:
        if required:
            raise BadQuery("unit", "required: a unit code (see GET /api/v1/units)")
        return svc.tree.roots()[0]
    if unit not in svc.tree:
        raise BadQuery("unit", f"unknown unit {unit!r}")
    return unit


class BadQuery(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@api.errorhandler(BadQuery)
def _bad_query(exc: BadQuery):
    return error(422, f"bad query parameter {exc.field!r}: {exc.message}",
                 [{"index": 0, "field": exc.field, "message": exc.message}])


@api.get("/units")
def get_units():
    svc = services()
    return jsonify([svc.tree.as_tree(code) for code in svc.tree.roots()])


@api.get("/incidents")
def get_incidents():
    svc = services()
    unit = _unit_arg(svc)
    status = request.args.get("status", "open")
    if status not in ("open", "closed", "all"):
        raise BadQuery("status", "one of open, closed, all")
    items = items_in(svc.engine, tree=svc.tree, unit=unit, kind="incident", status=status)
    return jsonify({"unit": unit, "status": status, "count": len(items), "incidents": items})


@api.get("/stream")
def get_stream():
    svc = services()
    unit = _unit_arg(svc, required=True)
    after = _int_arg("after", 0)
    limit = min(_int_arg("limit", 1000), 5000)
    messages = messages_after(svc.engine, tree=svc.tree, unit=unit, after=after, limit=limit)
    head = current_head(svc.engine)
    return jsonify({"unit": unit, "after": after, "head": head, "messages": messages,
                    "more": bool(messages) and messages[-1]["seq"] < head and len(messages) == limit})


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadQuery(name, "a whole number") from None
    if value < 0:
        raise BadQuery(name, "a whole number >= 0")
    return value


@api.get("/openapi.json")
def get_openapi():
    return jsonify(openapi_document(EventIn.model_json_schema()))


@api.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown_endpoint(rest: str):
    """Without this, Dash's catch-all page route would answer unknown API paths with HTML."""
    path = f"{api.url_prefix}/{rest}"
    allowed = sorted({m for rule in current_app.url_map.iter_rules() if rule.rule == path
                      for m in (rule.methods or ()) if m not in ("HEAD", "OPTIONS")})
    if allowed:
        response, status = error(405, f"{request.method} not allowed on {path}; use {', '.join(allowed)}")
        response.headers["Allow"] = ", ".join(allowed)
        return response, status
    return error(404, f"no such endpoint: {path} (see /api/v1/openapi.json)")


@api.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    if exc.code == 413:
        limit = services().settings.max_body_bytes
        return error(413, f"body too large: at most {limit} bytes (send at most 1000 events per request)")
    return error(exc.code or 500, exc.description or exc.name)


@probes.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@probes.get("/readyz")
def readyz():
    ready, body = check_parts(services())
    return jsonify(body), 200 if ready else 503


@probes.get("/metrics")
def get_metrics():
    body, content_type = metrics.render()
    return Response(body, content_type=content_type)
