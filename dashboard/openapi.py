"""The OpenAPI description of the HTTP API (GET /api/v1/openapi.json)."""
from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = {"type": "object", "properties": {"error": {"type": "string"}, "details": {"type": "array", "items": {
    "type": "object", "properties": {"index": {"type": "integer"}, "field": {"type": "string"},
                                     "message": {"type": "string"}}}}}}


def _param(name: str, description: str, required: bool = False, schema: dict | None = None,
           where: str = "query") -> dict:
    return {"name": name, "in": where, "required": required, "description": description,
            "schema": schema or {"type": "string"}}


def _alert_action(summary: str) -> dict[str, Any]:
    return {"post": {
        "summary": summary, "security": [{"user": []}],
        "parameters": [_param("id", "alert id", where="path", required=True, schema={"type": "integer"})],
        "requestBody": {"content": {"application/json": {"schema": {
            "type": "object", "properties": {"note": {"type": ["string", "null"]}}}}}},
        "responses": {"200": _json({"type": "object"}, "the alert"), "401": _json(_ref("Error"), "no user"),
                      "403": _json(_ref("Error"), "outside the user's unit"), "404": _json(_ref("Error"), "no such alert"),
                      "409": _json(_ref("Error"), "already acknowledged / resolved")}}}


def openapi_document(event_schema: dict[str, Any]) -> dict[str, Any]:
    defs = event_schema.pop("$defs", {})
    unit = _param("unit", "unit code; the answer covers its whole subtree")
    return {
        "openapi": "3.1.0",
        "info": {"title": "Command-centre dashboard API", "version": "1"},
        "components": {
            "schemas": {"Event": event_schema, "Error": ERROR, **defs},
            "securitySchemes": {"ingest": {"type": "http", "scheme": "bearer"},
                                "user": {"type": "http", "scheme": "basic"}},
        },
        "paths": {
            "/api/v1/events": {"post": {
                "summary": "Ingest one event or an array of up to 1000 (all or nothing)",
                "security": [{"ingest": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "oneOf": [_ref("Event"), {"type": "array", "maxItems": 1000, "items": _ref("Event")}]}}}},
                "responses": {
                    "202": _json({"type": "object"}, "stored: accepted, duplicates, results [{id, seq}]"),
                    "400": _json(_ref("Error"), "unreadable JSON"),
                    "401": _json(_ref("Error"), "missing or unknown token"),
                    "413": _json(_ref("Error"), "body too large"),
                    "422": _json(_ref("Error"), "rejected; details per event and field")}}},
            "/api/v1/units": {"get": {"summary": "The unit hierarchy as a tree",
                                      "responses": {"200": _json({"type": "array"}, "tree")}}},
            "/api/v1/incidents": {"get": {
                "summary": "Incidents of a unit's subtree with their deadlines",
                "parameters": [unit, _param("status", "open|closed|all", schema={"enum": ["open", "closed", "all"]})],
                "responses": {"200": _json({"type": "object"}, "incidents"), "422": _json(_ref("Error"), "bad query")}}},
            "/api/v1/stream": {"get": {
                "summary": "Messages a wall of the unit would have received after seq, in order",
                "parameters": [_param("unit", "unit code", required=True),
                               _param("after", "seq", schema={"type": "integer", "minimum": 0}),
                               _param("limit", "page size (max 5000)", schema={"type": "integer", "minimum": 0})],
                "responses": {"200": _json({"type": "object"}, "messages"), "422": _json(_ref("Error"), "bad query")}}},
            "/api/v1/alerts": {"get": {
                "summary": "Alerts about items of a unit's subtree (a user: session or HTTP Basic)",
                "security": [{"user": []}],
                "parameters": [unit, _param("state", "active|all", schema={"enum": ["active", "all"]})],
                "responses": {"200": _json({"type": "object"}, "alerts, head, server_time"),
                              "401": _json(_ref("Error"), "no user")}}},
            "/api/v1/alerts/{id}/ack": _alert_action("Acknowledge an alert"),
            "/api/v1/alerts/{id}/resolve": _alert_action("Resolve an alert"),
            "/api/v1/walls/{unit}": {"get": {
                "summary": "Everything the wall of a unit shows (then resume after head on /live)",
                "parameters": [_param("unit", "unit code", where="path", required=True),
                               _param("screen", "screen token, when the deployment issued any")],
                "responses": {"200": _json({"type": "object"}, "snapshot"), "403": _json(_ref("Error"), "screen link needed"),
                              "404": _json(_ref("Error"), "unknown unit")}}},
            "/api/v1/patrols": {"get": {
                "summary": "Active patrols, grid coverage of a day per sub-unit, late checkpoints",
                "parameters": [unit, _param("day", "YYYY-MM-DD, district time (default today)")],
                "responses": {"200": _json({"type": "object"}, "patrol summary"), "422": _json(_ref("Error"), "bad query")}}},
            "/api/v1/mediations": {"get": {
                "summary": "Open mediations per channel, overdue, success this month, transfers",
                "parameters": [unit],
                "responses": {"200": _json({"type": "object"}, "mediation summary"), "422": _json(_ref("Error"), "bad query")}}},
            "/api/v1/trends": {"get": {
                "summary": "The trend panels of a unit (a user; leaders see their subtree)",
                "security": [{"user": []}], "parameters": [unit],
                "responses": {"200": _json({"type": "object"}, "panels and head")}}},
            "/api/v1/trends/{panel}": {"get": {
                "summary": "One trend panel; format=csv for the CSV export",
                "security": [{"user": []}],
                "parameters": [_param("panel", "panel name", where="path", required=True), unit,
                               _param("range", "today|7d|30d|year|custom"), _param("from", "YYYY-MM-DD"),
                               _param("to", "YYYY-MM-DD"), _param("category", "category codes"),
                               _param("priority", "1..4"), _param("format", "json|csv")],
                "responses": {"200": _json({"type": "object"}, "columns and rows"),
                              "422": _json(_ref("Error"), "bad query")}}},
            "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "alive"}}}},
            "/readyz": {"get": {"summary": "Readiness: database, and Redis when configured, reachable (503 names the part)",
                                "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text"}}}},
        },
    }
