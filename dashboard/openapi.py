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


def _param(name: str, description: str, required: bool = False, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


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
            "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "alive"}}}},
            "/readyz": {"get": {"summary": "Readiness (database reachable)",
                                "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text"}}}},
        },
    }
