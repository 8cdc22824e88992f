"""The HTTP API (CONTRACT "Ingest API" and "Read API"): thin handlers that
parse, call one action or query, and shape the answer."""
from __future__ import annotations

import hmac
import json
from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from dashboard import metrics
from dashboard.access import guard_api_read, home_unit
from dashboard.actions.group_commit import GroupCommitter
from dashboard.actions.ingest import IngestRejected, do_ingest_events
from dashboard.domain.events import EventIn, Problem, parse_batch
from dashboard.openapi import openapi_document
from dashboard.readiness import check_parts
from dashboard.services import Services, current_services
from dashboard.store.queries import current_head, items_in, messages_after
from dashboard.throttle import check_ingest_rate

api = Blueprint("api", __name__, url_prefix="/api/v1")
probes = Blueprint("probes", __name__)
api.before_request(guard_api_read)  # every read in scope of its credential (dashboard.access)


def services() -> Services:
    return current_services()


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
    with metrics.INGEST_SECONDS.time():
        return _ingest(services())


def _ingest(svc: Services):
    if not _bearer_ok(svc):
        return error(401, "missing or unknown bearer token (Authorization: Bearer <token>)")
    check_ingest_rate()  # 429 with Retry-After once this token's rate is spent
    try:
        body = read_json_body()
    except UnreadableBody as exc:
        return error(400, str(exc))
    events, problems = parse_batch(body)
    if problems:
        metrics.EVENTS_REJECTED.inc(len(problems))
        return _rejected(problems)
    try:
        result = _store(svc, events)  # counts what it stores or rejects
    except IngestRejected as exc:
        return _rejected(exc.problems)
    return jsonify(result.body()), 202


class UnreadableBody(ValueError):
    """The request body is not JSON this API can read (answered 400)."""


def read_json_body(default: Any = None) -> Any:
    """The request's JSON body (`default` when empty); UnreadableBody when it is not JSON,
    or nested deeper than any request of this API needs (the parser would recurse)."""
    raw = request.get_data(cache=False)
    if not raw:
        if default is not None:
            return default
        raise UnreadableBody("body is empty: send a JSON document")
    try:
        return json.loads(raw)
    except RecursionError:
        raise UnreadableBody("body is not readable JSON: nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnreadableBody(f"body is not readable JSON: {exc}") from None


def _store(svc: Services, events: list[EventIn]):
    """Through the app's group committer (concurrent POSTs share a commit), unless it is off."""
    if svc.settings.group_commit_ms < 0:
        return do_ingest_events(svc, events)
    committer = current_app.extensions.get("ingest_committer")
    if committer is None:
        committer = current_app.extensions["ingest_committer"] = GroupCommitter(
            window_s=svc.settings.group_commit_ms / 1000)
    return committer.ingest(svc, events)


def _rejected(problems: list[Problem]):
    n = len({p.index for p in problems})
    return error(422, f"{n} event(s) rejected; nothing was stored", [p.model_dump() for p in problems])


def _unit_arg(svc: Services, required: bool = False) -> str:
    unit = request.args.get("unit")
    if unit is None:
        if required:
            raise BadQuery("unit", "required: a unit code (see GET /api/v1/units)")
        return home_unit() or svc.tree.roots()[0]
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
    limit = _int_arg("limit", STREAM_PAGE, lo=1, hi=STREAM_PAGE)
    messages = messages_after(svc.engine, tree=svc.tree, unit=unit, after=after, limit=limit)
    head = current_head(svc.engine)
    return jsonify({"unit": unit, "after": after, "head": head, "messages": messages,
                    "more": bool(messages) and messages[-1]["seq"] < head and len(messages) == limit})


# Calendar days a query may name: wide enough for any record, narrow enough that
# a day's bounds in any time zone stay inside what datetime and the databases hold.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def day_arg(name: str) -> date | None:
    """The query parameter `name` as a calendar day YYYY-MM-DD, None when absent."""
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadQuery(name, "a calendar day YYYY-MM-DD") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadQuery(name, f"a day from {FIRST_DAY} to {LAST_DAY}")
    return day


# One page of the stream: about 1 KB a message, so one call stays a few ms of the loop.
STREAM_PAGE = 1000
MAX_SEQ = 2**63 - 1  # a BIGINT: anything above cannot name a stored row


def _int_arg(name: str, default: int, *, lo: int = 0, hi: int = MAX_SEQ) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw) if len(raw) <= 20 else None
    except ValueError:
        value = None
    if value is None or not lo <= value <= hi:
        raise BadQuery(name, f"a whole number from {lo} to {hi}")
    return value


@api.get("/openapi.json")
def get_openapi():
    return jsonify(openapi_document(request.url_root))


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
