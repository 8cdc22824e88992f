"""The operations of the OpenAPI document: paths, parameters, security and
every status each endpoint answers (schemas: dashboard/api/openapi.py)."""
from __future__ import annotations

from typing import Any

from dashboard.domain.events import INCIDENT_CATEGORIES, MAX_BATCH, TYPES
from dashboard.domain.trend_rows import PANELS as TREND_PANELS

MAX_ID = 2**63 - 1
PANELS = tuple(dict.fromkeys((*TREND_PANELS, "departments")))  # CONTRACT: panels include the department scorecard

# Who may call: alternatives (any one will do); {} is anonymous.
READ = [{"basic": []}, {"session": []}, {"screen": []}, {}]
USER = [{"basic": []}, {"session": []}]
USER_POST = [{"basic": []}, {"session": [], "csrf": []}]
PUBLIC: list = []


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(schema: str | dict, description: str, *, csv: bool = False) -> dict:
    content: dict[str, Any] = {"application/json": {"schema": _ref(schema) if isinstance(schema, str) else schema}}
    if csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


def _error(description: str, retry: bool = False) -> dict:
    answer: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}
    if retry:
        answer["headers"] = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
    return answer


ERRORS = {
    "400": "body is not readable JSON (or nested too deeply)",
    "401": "no credential where one is needed, or a wrong or revoked one",
    "403": "the unit lies outside the credential's scope",
    "404": "no such unit, item or alert",
    "409": "the alert is already acknowledged / resolved",
    "413": "body larger than the limit (4 MiB)",
    "422": "a parameter or field is wrong; `details` names it",
    "429": "too many failed logins or passwords (or ingest requests): wait Retry-After seconds",
}


def _errors(*codes: int) -> dict[str, dict]:
    return {str(c): _error(ERRORS[str(c)], retry=c == 429) for c in codes}


def _param(name: str, description: str, *, where: str = "query", required: bool = False,
           schema: dict | None = None) -> dict:
    return {"name": name, "in": where, "required": required, "description": description,
            "schema": schema or {"type": "string"}}


UNIT = _param("unit", "unit code (see /api/v1/units); the answer covers its whole subtree (default: the root)",
              schema={"type": "string", "minLength": 1})
SCREEN = _param("screen", "a screen link's token (the `screen` security scheme)")
DAY = {"type": "string", "format": "date", "description": "YYYY-MM-DD, 2000-01-01 to 2100-12-31"}


def _op(op_id: str, tag: str, summary: str, security: list, responses: dict, *, params: list | None = None,
        body: dict | None = None, description: str | None = None) -> dict:
    op: dict[str, Any] = {"operationId": op_id, "tags": [tag], "summary": summary, "security": security,
                          "responses": responses}
    if description:
        op["description"] = description
    if params:
        op["parameters"] = params
    if body:
        op["requestBody"] = body
    return op


def _read(op_id: str, tag: str, summary: str, schema: str, params: list, *, extra: tuple[int, ...] = (),
          csv: bool = False, security: list | None = None) -> dict:
    codes = sorted({401, 403, 422, 429, *extra})
    return {"get": _op(op_id, tag, summary, READ if security is None else security,
                       {"200": _ok(schema, summary, csv=csv), **_errors(*codes)}, params=params)}


def _alert_action(op_id: str, summary: str) -> dict:
    return {"post": _op(
        op_id, "alerts", summary, USER_POST,
        {"200": _ok("AlertMessage", "the alert after the change"), **_errors(400, 401, 403, 404, 409, 413, 422, 429)},
        params=[_param("id", "alert id", where="path", required=True,
                       schema={"type": "integer", "minimum": 1, "maximum": MAX_ID})],
        body={"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"note": {"type": ["string", "null"], "maxLength": 1000}}}}}},
        description="A user whose unit is the alert's unit or one of its ancestors; the session also sends X-CSRFToken.")}


def _bulk_action(op_id: str, summary: str) -> dict:
    return {"post": _op(
        op_id, "alerts", summary, USER_POST,
        {"200": _ok("BulkResults", "one result per id, each under the single-alert rules"),
         **_errors(400, 401, 413, 422, 429)},
        body={"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["ids"], "properties": {
                "ids": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
                "note": {"type": ["string", "null"], "maxLength": 1000}}}}}})}


def _trend_params() -> list[dict]:
    return [UNIT, _param("range", "today, 7d, 30d, year or custom (default 30d)",
                         schema={"type": "string", "enum": ["today", "7d", "30d", "year", "custom"]}),
            _param("from", "first day (custom range)", schema=DAY), _param("to", "last day (custom range)", schema=DAY),
            _param("category", "incident category codes, comma-separated", schema={
                "type": "string", "pattern": "^(" + "|".join(INCIDENT_CATEGORIES) + ")(,(" +
                "|".join(INCIDENT_CATEGORIES) + "))*$"}),
            _param("priority", "1..4, comma-separated", schema={"type": "string", "pattern": "^[1-4](,[1-4])*$"}),
            _param("format", "json (default) or csv", schema={"type": "string", "enum": ["json", "csv"]}),
            _param("lang", "zh or en: the language of *_name columns", schema={"type": "string", "enum": ["zh", "en"]})]


AUDIT_TIME = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}


def paths() -> dict[str, Any]:
    text = {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}
    return {
        "/api/v1/events": {"post": _op(
            "postEvents", "ingest", f"Ingest one event or an array of up to {MAX_BATCH} (all or nothing)",
            [{"ingest": []}],
            {"202": _ok("IngestResult", "every event stored (or already stored: duplicates)"),
             **_errors(400, 401, 413, 422, 429)},
            body={"required": True, "content": {"application/json": {"schema": {
                "oneOf": [_ref("Event"), _ref("EventBatch")]}}}},
            description="Types per kind: " + "; ".join(f"{k}: {', '.join(t)}" for k, t in TYPES.items()) +
                        ". An event that does not fit its ref's state, names an unknown unit, or whose "
                        "occurred_at lies outside the policy's event_time window is 422; nothing is stored.")},
        "/api/v1/units": {"get": _op("getUnits", "read", "The unit hierarchy as a tree", PUBLIC,
                                     {"200": _ok({"type": "array", "items": _ref("Unit")}, "the roots with their children")})},
        "/api/v1/incidents": _read("getIncidents", "read", "Incidents of a unit's subtree with their deadlines",
                                   "Incidents", [UNIT, _param("status", "open (default), closed or all", schema={
                                       "type": "string", "enum": ["open", "closed", "all"]})]),
        "/api/v1/stream": _read("getStream", "read", "Messages a wall of the unit would have received after seq, in order",
                                "StreamPage", [
                                    {**UNIT, "required": True},
                                    _param("after", "seq (default 0)", schema={"type": "integer", "minimum": 0, "maximum": MAX_ID}),
                                    _param("limit", "page size (default and at most 1000)",
                                           schema={"type": "integer", "minimum": 1, "maximum": 1000})]),
        "/api/v1/alerts": _read("getAlerts", "alerts", "Alerts about items of a unit's subtree", "Alerts",
                                [UNIT, _param("state", "active (default) or all",
                                              schema={"type": "string", "enum": ["active", "all"]})]),
        "/api/v1/alerts/{id}/ack": _alert_action("acknowledgeAlert", "Acknowledge an alert"),
        "/api/v1/alerts/{id}/resolve": _alert_action("resolveAlert", "Resolve an alert"),
        "/api/v1/alerts/ack": _bulk_action("acknowledgeAlerts", "Acknowledge several alerts"),
        "/api/v1/alerts/resolve": _bulk_action("resolveAlerts", "Resolve several alerts"),
        "/api/v1/walls/{unit}": _read("getWall", "read", "Everything the wall of a unit shows (then resume after head on /live)",
                                      "WallSnapshot", [_param("unit", "unit code", where="path", required=True), SCREEN],
                                      extra=(404,)),
        "/api/v1/walls/{unit}/access": _read("getWallAccess", "read", "Whether this screen link still opens the wall",
                                             "WallAccess", [_param("unit", "unit code", where="path", required=True), SCREEN],
                                             extra=(404,)),
        "/api/v1/patrols": _read("getPatrols", "read", "Active patrols, grid coverage of a day, late checkpoints",
                                 "PatrolSummary", [UNIT, _param("day", "district day (default today)", schema=DAY)]),
        "/api/v1/mediations": _read("getMediations", "read", "Open mediations per channel, overdue, month outcomes, transfers",
                                    "MediationSummary", [UNIT]),
        "/api/v1/trends": _read("getTrends", "trends", "The trend panels of a unit, and the head seq", "TrendIndex",
                                [UNIT], security=USER),
        "/api/v1/trends/{panel}": _read("getTrendPanel", "trends", "One trend panel (format=csv: the CSV export)",
                                        "TrendPanel", [_param("panel", "panel name", where="path", required=True,
                                                              schema={"type": "string", "enum": list(PANELS)}),
                                                       *_trend_params()],
                                        extra=(404,), csv=True, security=USER),
        "/api/v1/items/{kind}/{ref}": _read("getCaseFile", "cases", "A case file: facts, stage clocks and the timeline in seq order",
                                            "CaseFile", [_param("kind", "item kind", where="path", required=True, schema={
                                                "type": "string", "enum": list(TYPES)}),
                                                _param("ref", "the case, patrol or mediation reference", where="path",
                                                       required=True)], extra=(404,)),
        "/api/v1/departments": _read("getDepartments", "cases", "The district's functional departments "
                                     "(`dispatched` names one in attributes.department)",
                                     {"type": ["object", "array"]}, []),
        "/api/v1/audit": _read("getAudit", "cases", "Every alert change and user action with time, user, unit, level, note",
                               {"type": ["object", "array"]},
                               [UNIT, _param("from", "start (inclusive): a district-time date YYYY-MM-DD (its midnight) or an RFC 3339 time; default today 00:00", schema=AUDIT_TIME),
                                _param("to", "end (exclusive), same forms; default now", schema=AUDIT_TIME),
                                _param("format", "json (default) or csv", schema={"type": "string", "enum": ["json", "csv"]})],
                               csv=True, security=USER),
        "/api/v1/me": {"get": _op("getMe", "read", "The user of this request", USER,
                                  {"200": _ok("Me", "the user"), **_errors(401, 429)})},
        "/api/v1/openapi.json": {"get": _op("getOpenAPI", "operations", "This document", PUBLIC,
                                            {"200": _ok({"type": "object"}, "OpenAPI 3.1")})},
        "/healthz": {"get": _op("getHealth", "operations", "Liveness", PUBLIC, {"200": _ok("Health", "alive")})},
        "/readyz": {"get": _op("getReady", "operations", "Readiness (database reachable)", PUBLIC,
                               {"200": _ok("Ready", "ready"), "503": _ok("NotReady", "database unreachable")})},
        "/metrics": {"get": _op("getMetrics", "operations", "Prometheus metrics of this process", PUBLIC, {"200": text})},
    }
