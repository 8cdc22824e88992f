"""Alert endpoints of the read API: list, acknowledge, resolve (CONTRACT)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from dashboard.actions.alerts import Actor, AlertConflict, AlertForbidden, AlertNotFound, do_acknowledge_alert, do_resolve_alert
from dashboard.actions.bulk_alerts import MAX_IDS, do_bulk_alerts
from dashboard.api import MAX_SEQ, BadQuery, UnreadableBody, error, read_json_body, unit_arg
from dashboard.auth.basic import api_auth_error, api_user
from dashboard.services import current_services, utcnow
from dashboard.store.queries import alerts_in, current_head
from dashboard.store.serialize import iso

MAX_NOTE = 1000


def add_routes(api: Blueprint) -> None:
    api.register_error_handler(_Refused, _refused)
    api.get("/alerts")(get_alerts)
    api.post("/alerts/<int:alert_id>/ack")(post_ack)
    api.post("/alerts/<int:alert_id>/resolve")(post_resolve)
    api.post("/alerts/ack")(post_bulk_ack)
    api.post("/alerts/resolve")(post_bulk_resolve)


def get_alerts():
    svc = current_services()
    unit = unit_arg(svc)
    state = request.args.get("state", "active")
    if state not in ("active", "all"):
        raise BadQuery("state", "one of active, all")
    head = current_head(svc.engine)  # read first: a client resuming after it misses nothing
    alerts = alerts_in(svc.engine, tree=svc.tree, unit=unit, state=state)
    return jsonify({"unit": unit, "state": state, "count": len(alerts), "alerts": alerts, "head": head,
                    "server_time": iso(utcnow())})


class _Refused(Exception):
    """A request this module answers with an error (the response travels in the exception)."""

    def __init__(self, response: tuple) -> None:
        super().__init__(response)
        self.response = response


def _refused(exc: _Refused):
    return exc.response


def _caller() -> tuple[Actor, dict]:
    """The acting user (401 without one) and the JSON object body (400 otherwise)."""
    user = api_user()
    if user is None:
        raise _Refused(error(401, api_auth_error()))
    try:
        body = read_json_body(default={})
    except UnreadableBody as exc:
        raise _Refused(error(400, f'{exc}; send a JSON object like {{"note": "..."}}')) from None
    if not isinstance(body, dict):
        raise _Refused(error(400, 'body must be a JSON object like {"note": "..."}'))
    return Actor(user.name, user.unit, request.remote_addr), body


def _note(body: dict) -> str | None:
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise _Refused(error(422, "note must be text", [{"index": 0, "field": "note", "message": "must be a string"}]))
    if note and len(note) > MAX_NOTE:
        raise _Refused(error(422, f"note too long (at most {MAX_NOTE} characters)",
                             [{"index": 0, "field": "note", "message": f"at most {MAX_NOTE} characters"}]))
    return (note or "").strip() or None


def _act(alert_id: int, action):
    actor, body = _caller()
    if alert_id > MAX_SEQ:  # no stored id is this large; the database would overflow
        return error(404, f"no alert {alert_id}")
    note = _note(body)
    try:
        alert = action(current_services(), alert_id, actor, note)
    except AlertNotFound as exc:
        return error(404, str(exc))
    except AlertForbidden as exc:
        return error(403, str(exc))
    except AlertConflict as exc:
        return error(409, str(exc))
    return jsonify(alert), 200


def post_ack(alert_id: int):
    return _act(alert_id, do_acknowledge_alert)


def post_resolve(alert_id: int):
    return _act(alert_id, do_resolve_alert)


def _ids(body: dict) -> list[int]:
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids:
        raise _Refused(error(422, '"ids" must be a non-empty list of alert ids',
                             [{"index": 0, "field": "ids", "message": "a non-empty list of whole numbers"}]))
    if len(ids) > MAX_IDS:
        raise _Refused(error(422, f"too many ids: {len(ids)} (at most {MAX_IDS} per request)",
                             [{"index": 0, "field": "ids", "message": f"at most {MAX_IDS} ids"}]))
    details, seen = [], set()
    for index, value in enumerate(ids):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_SEQ:
            details.append({"index": index, "field": "ids", "message": f"{value!r} is not an alert id (a whole number >= 1)"})
        elif value in seen:
            details.append({"index": index, "field": "ids", "message": f"{value} is listed twice"})
        else:
            seen.add(value)
    if details:
        raise _Refused(error(422, f"{len(details)} bad id(s); nothing was changed", details))
    return ids


def _bulk(verb: str):
    actor, body = _caller()
    note, ids = _note(body), _ids(body)
    outcomes = do_bulk_alerts(current_services(), verb, ids, actor, note)
    return jsonify({"results": [o.body() for o in outcomes],
                    "alerts": [o.alert for o in outcomes if o.alert is not None]}), 200


def post_bulk_ack():
    return _bulk("ack")


def post_bulk_resolve():
    return _bulk("resolve")
