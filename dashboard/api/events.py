"""Events in and out: `POST /api/v1/events` (CONTRACT "Ingest API") and
`GET /api/v1/stream`, the stored messages of a unit's subtree after a seq."""
from __future__ import annotations

import hmac

from flask import Blueprint, current_app, jsonify, request

from dashboard import metrics
from dashboard.actions.group_commit import GroupCommitter
from dashboard.actions.ingest import IngestRejected, do_ingest_events
from dashboard.api import UnreadableBody, error, int_arg, read_json_body, unit_arg
from dashboard.auth.throttle import check_ingest_rate
from dashboard.domain.events import EventIn, Problem, parse_batch
from dashboard.services import Services, current_services
from dashboard.store.queries import current_head, messages_after

# One page of the stream: about 1 KB a message, so one call stays a few ms of the loop.
STREAM_PAGE = 1000


def add_routes(api: Blueprint) -> None:
    api.post("/events")(post_events)
    api.get("/stream")(get_stream)


def _bearer_ok(svc: Services) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return any(hmac.compare_digest(token.strip().encode(), t.encode()) for t in svc.settings.ingest_tokens)


def post_events():
    with metrics.INGEST_SECONDS.time():
        return _ingest(current_services())


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


def get_stream():
    svc = current_services()
    unit = unit_arg(svc, required=True)
    after = int_arg("after", 0)
    limit = int_arg("limit", STREAM_PAGE, lo=1, hi=STREAM_PAGE)
    messages = messages_after(svc.engine, tree=svc.tree, unit=unit, after=after, limit=limit)
    head = current_head(svc.engine)
    return jsonify({"unit": unit, "after": after, "head": head, "messages": messages,
                    "more": bool(messages) and messages[-1]["seq"] < head and len(messages) == limit})
