"""Alert endpoints of the read API: list, acknowledge, resolve (CONTRACT)."""
from __future__ import annotations

from flask import jsonify, request

from dashboard.actions.alerts import Actor, AlertConflict, AlertForbidden, AlertNotFound, do_acknowledge_alert, do_resolve_alert
from dashboard.api import MAX_SEQ, BadQuery, UnreadableBody, _unit_arg, api, error, read_json_body, services
from dashboard.auth import api_auth_error, api_user
from dashboard.services import utcnow
from dashboard.store.queries import alerts_in, current_head
from dashboard.store.serialize import iso

MAX_NOTE = 1000


@api.get("/alerts")
def get_alerts():
    svc = services()
    unit = _unit_arg(svc)
    state = request.args.get("state", "active")
    if state not in ("active", "all"):
        raise BadQuery("state", "one of active, all")
    head = current_head(svc.engine)  # read first: a client resuming after it misses nothing
    alerts = alerts_in(svc.engine, tree=svc.tree, unit=unit, state=state)
    return jsonify({"unit": unit, "state": state, "count": len(alerts), "alerts": alerts, "head": head,
                    "server_time": iso(utcnow())})


def _note() -> str | None | tuple:
    try:
        body = read_json_body(default={})
    except UnreadableBody as exc:
        return error(400, f'{exc}; send a JSON object like {{"note": "..."}}')
    if not isinstance(body, dict):
        return error(400, 'body must be a JSON object like {"note": "..."}')
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        return error(422, "note must be text", [{"index": 0, "field": "note", "message": "must be a string"}])
    if note and len(note) > MAX_NOTE:
        return error(422, f"note too long (at most {MAX_NOTE} characters)",
                     [{"index": 0, "field": "note", "message": f"at most {MAX_NOTE} characters"}])
    return (note or "").strip() or None


def _act(alert_id: int, action):
    user = api_user()
    if user is None:
        return error(401, api_auth_error())
    if alert_id > MAX_SEQ:  # no stored id is this large; the database would overflow
        return error(404, f"no alert {alert_id}")
    note = _note()
    if isinstance(note, tuple):
        return note
    try:
        alert = action(services(), alert_id, Actor(user.name, user.unit), note)
    except AlertNotFound as exc:
        return error(404, str(exc))
    except AlertForbidden as exc:
        return error(403, str(exc))
    except AlertConflict as exc:
        return error(409, str(exc))
    return jsonify(alert), 200


@api.post("/alerts/<int:alert_id>/ack")
def post_ack(alert_id: int):
    return _act(alert_id, do_acknowledge_alert)


@api.post("/alerts/<int:alert_id>/resolve")
def post_resolve(alert_id: int):
    return _act(alert_id, do_resolve_alert)
