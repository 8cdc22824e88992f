"""The OpenAPI 3.1 document of the HTTP API (GET /api/v1/openapi.json).

Schemas come from the pydantic models the code validates and answers with
(dashboard/domain/events.py, dashboard/domain/messages.py,
dashboard/api/schemas.py), generated with refs into components/schemas. The
event vocabulary (dashboard/domain/events.py) becomes one schema per kind and
type, discriminated by `kind`, then by `type`, each naming its required fields.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from flask import Blueprint, jsonify, request
from pydantic.json_schema import models_json_schema

from dashboard.api.schemas import RESPONSE_MODELS
from dashboard.domain.events import (INCIDENT_CATEGORIES, MAX_BATCH, MEDIATION_CHANNELS, TEAM_KINDS,
                                     TRANSFER_TARGETS, TYPES, EventIn)
from dashboard.api.openapi_paths import paths

REF = "#/components/schemas/{model}"


def add_routes(api: Blueprint) -> None:
    api.get("/openapi.json")(get_openapi)


def get_openapi():
    return jsonify(openapi_document(request.url_root))

# Types whose events carry more than the common fields: (kind, type) -> (variant name, required, property overrides).
_CATEGORY = {"type": "string", "enum": list(INCIDENT_CATEGORIES), "description": "incident category code"}
_PRIORITY = {"type": "integer", "minimum": 1, "maximum": 4, "description": "1 (urgent) to 4 (routine)"}
_CHECKPOINT = {"type": "object", "required": ["name", "unit", "due_at"], "properties": {
    "name": {"type": "string", "minLength": 1}, "unit": {"type": "string", "minLength": 1, "description": "unit code"},
    "due_at": {"type": "string", "format": "date-time"}}}
_SPECIAL: dict[tuple[str, str], tuple[str, list[str], dict[str, Any]]] = {
    ("incident", "reported"): ("IncidentReported", ["category", "priority"],
                               {"category": _CATEGORY, "priority": _PRIORITY}),
    ("patrol", "started"): ("PatrolStarted", ["attributes"], {"attributes": {
        "type": "object", "required": ["team", "team_kind", "checkpoints"], "properties": {
            "team": {"type": "string", "minLength": 1, "pattern": r"\S"},
            "team_kind": {"type": "string", "enum": list(TEAM_KINDS)},
            "checkpoints": {"type": "array", "minItems": 1, "items": _CHECKPOINT,
                            "description": "planned in order"}}}}),
    ("patrol", "checkpoint"): ("PatrolCheckpoint", ["attributes"], {"attributes": {
        "type": "object", "required": ["checkpoint"], "properties": {
            "checkpoint": {"type": "string", "minLength": 1, "description": "a planned checkpoint's name"}}}}),
    ("patrol", "anomaly"): ("PatrolAnomaly", [], {"attributes": {"type": "object", "properties": {
        "incident_ref": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": r"\S"},
        "category": _CATEGORY, "priority": _PRIORITY}}}),
    ("mediation", "accepted"): ("MediationAccepted", ["category"], {"category": {
        "type": "string", "enum": list(MEDIATION_CHANNELS), "description": "the mediation channel"}}),
    ("mediation", "transferred"): ("MediationTransferred", ["attributes"], {"attributes": {
        "type": "object", "required": ["to"], "properties": {
            "to": {"type": "string", "enum": list(TRANSFER_TARGETS)}}}}),
}


def _variant(base: dict, kind: str, types: list[str], required: list[str], overrides: dict) -> dict:
    schema = copy.deepcopy(base)
    schema.pop("title", None)
    props = schema["properties"]
    props["kind"] = {"type": "string", "enum": [kind]}
    props["type"] = {"type": "string", "enum": types}
    props.update(copy.deepcopy(overrides))
    schema["required"] = sorted(set(schema.get("required", [])) | set(required))
    return schema


def event_schemas(base: dict) -> dict[str, dict]:
    """Event (by kind) → <Kind>Event (by type) → one variant per type with its required fields."""
    out: dict[str, dict] = {}
    by_kind = []
    for kind, types in TYPES.items():
        plain = [t for t in types if (kind, t) not in _SPECIAL]
        mapping: dict[str, str] = {}
        variants = []
        for t in types:
            if (kind, t) in _SPECIAL:
                name, required, overrides = _SPECIAL[(kind, t)]
                out[name] = _variant(base, kind, [t], required, overrides)
            else:
                name = f"{kind.capitalize()}Update"
                out[name] = _variant(base, kind, plain, [], {})
            mapping[t] = REF.format(model=name)
            if mapping[t] not in variants:
                variants.append(mapping[t])
        kind_name = f"{kind.capitalize()}Event"
        out[kind_name] = {"description": f"an event about a {kind}", "oneOf": [{"$ref": r} for r in variants],
                          "discriminator": {"propertyName": "type", "mapping": mapping}}
        by_kind.append((kind, REF.format(model=kind_name)))
    out["Event"] = {
        "description": "One event as a source sends it (CONTRACT \"Ingest API\"); (source, id) is unique.",
        "oneOf": [{"$ref": r} for _, r in by_kind],
        "discriminator": {"propertyName": "kind", "mapping": dict(by_kind)}}
    out["EventBatch"] = {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": {"$ref": REF.format(model="Event")}}
    return out


@lru_cache(maxsize=1)
def component_schemas() -> dict[str, dict]:
    models = [(EventIn, "validation"), *[(m, "serialization") for m in RESPONSE_MODELS]]
    _, top = models_json_schema(models, ref_template=REF)
    schemas = top["$defs"]
    base = schemas.pop("EventIn")
    schemas.update(event_schemas(base))
    return schemas


SECURITY_SCHEMES = {
    "ingest": {"type": "http", "scheme": "bearer",
               "description": "An ingest token from DASHBOARD_INGEST_TOKENS: `Authorization: Bearer <token>`."},
    "basic": {"type": "http", "scheme": "basic",
              "description": "A user's name and password (`python -m dashboard users add`), for scripts."},
    "session": {"type": "apiKey", "in": "cookie", "name": "session", "description": (
        "The browser session of a logged-in user. Log in by GET /login (sets the `_csrf_token` cookie "
        "and puts the token in the form), then POST /login as a form with `name`, `password` and "
        "`csrf_token`: 302 with the `session` cookie (HttpOnly, SameSite=Lax; Secure with "
        "DASHBOARD_SECURE_COOKIES=1); POST /logout ends it. Too many failed logins answer 429 "
        "with Retry-After.")},
    "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
             "description": "With the session, every POST also sends the value of the `_csrf_token` cookie."},
    "screen": {"type": "apiKey", "in": "query", "name": "screen",
               "description": "A screen link's token (`python -m dashboard screens add`): reads of its unit's subtree."},
}

ACCESS_RULE = (
    "Reads answer only within the scope of their credential: a user (session or HTTP Basic) sees their "
    "unit's subtree, a screen link (`screen=`) its unit's subtree. A wrong or revoked credential is 401, "
    "a unit outside the scope 403. Anonymous reads are answered only while walls are open (no screen "
    "link ever issued and DASHBOARD_OPEN_WALLS not 0); otherwise 401. /api/v1/units, "
    "/api/v1/openapi.json, /healthz, /readyz and /metrics are public.")


def openapi_document(server_url: str | None = None) -> dict[str, Any]:
    servers = [{"url": server_url.rstrip("/"), "description": "this server"}] if server_url else []
    servers.append({"url": "http://127.0.0.1:8050", "description": "`make run` on this machine"})
    return {
        "openapi": "3.1.0",
        "info": {"title": "Social-governance command-centre dashboard API", "version": "1",
                 "description": "Ingest events, read the state of units, act on alerts. Live push is "
                                "Socket.IO, described in docs/INTERFACE.md.\n\n" + ACCESS_RULE},
        "servers": servers,
        "tags": [{"name": "ingest", "description": "events from the sources"},
                 {"name": "read", "description": "units, items, messages, walls"},
                 {"name": "alerts", "description": "alerts and acting on them"},
                 {"name": "trends", "description": "leaders' panels"},
                 {"name": "cases", "description": "case files, departments, audit"},
                 {"name": "operations", "description": "probes, metrics, this document"}],
        "components": {"schemas": copy.deepcopy(component_schemas()), "securitySchemes": SECURITY_SCHEMES},
        "paths": paths(),
    }
