"""The HTTP API under /api/v1 (CONTRACT "Ingest API" and "Read API"): thin
handlers that parse, call one action or query, and shape the answer.

This module holds what every resource shares — the error answers, the
query-argument helpers and CSV answers; `routes.py` builds the blueprint (`register(flask)`)
and adds each resource's routes to it:

| module | routes |
| --- | --- |
| `events.py` | `POST /events` (ingest), `GET /stream` |
| `units.py` | `GET /units`, `GET /incidents` |
| `walls.py` | `GET /walls/<unit>`, `GET /walls/<unit>/access` |
| `alerts.py` | `GET /alerts`, acknowledge and resolve, one or many |
| `audit.py` | `GET /audit` |
| `case.py` | `GET /items/<kind>/<ref>`, `GET /departments` |
| `trends.py` | `GET /trends`, `GET /trends/<panel>` |
| `patrols_mediations.py` | `GET /patrols`, `GET /mediations` |
| `me.py` | `GET /me` |
| `openapi.py` | `GET /openapi.json` (paths: `openapi_paths.py`, answers: `schemas.py`) |
"""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from typing import Any

import orjson
from flask import Response, jsonify, request
from werkzeug.exceptions import Unauthorized

from dashboard.auth.access import home_unit
from dashboard.auth.basic import api_auth_error, api_user
from dashboard.auth.sessions import CurrentUser
from dashboard.services import Services

PREFIX = "/api/v1"
# 19 digits in a row: maybe an integer beyond 64 bits, which only json reads exactly.
_LONG_DIGITS = re.compile(rb"[0-9]{19}")
MAX_SEQ = 2**63 - 1  # a BIGINT: anything above cannot name a stored row
# Calendar days a query may name: wide enough for any record, narrow enough that
# a day's bounds in any time zone stay inside what datetime and the databases hold.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


# ---------------------------------------------------------------- errors


def error(status: int, message: str, details: list[dict] | None = None) -> tuple[Response, int]:
    body: dict[str, Any] = {"error": message}
    if details is not None:
        body["details"] = details
    return jsonify(body), status


class BadQuery(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


# ---------------------------------------------------------------- request body and arguments


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
    if not _LONG_DIGITS.search(raw):  # orjson reads an integer beyond 64 bits as a float
        try:
            return orjson.loads(raw)  # several times faster on a 1000-event batch
        except orjson.JSONDecodeError:
            pass  # json decides, and words the error (other encodings, NaN, ...)
    try:
        return json.loads(raw)
    except RecursionError:
        raise UnreadableBody("body is not readable JSON: nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnreadableBody(f"body is not readable JSON: {exc}") from None


def unit_arg(svc: Services, required: bool = False) -> str:
    """The `unit` query argument (the credential's own unit, or the root, when absent)."""
    unit = request.args.get("unit")
    if unit is None:
        if required:
            raise BadQuery("unit", "required: a unit code (see GET /api/v1/units)")
        return home_unit() or svc.tree.roots()[0]
    if unit not in svc.tree:
        raise BadQuery("unit", f"unknown unit {unit!r}")
    return unit


def signed_in_user() -> CurrentUser:
    """The request's user (the session, or HTTP Basic); without one, a 401 answer saying why."""
    user = api_user()
    if user is None:
        raise Unauthorized(api_auth_error())  # answered as {"error": why} (dashboard.api.routes)
    return user


def user_unit_arg(svc: Services, user: CurrentUser) -> str:
    """The `unit` query argument of a signed-in user's read: the user's own unit when absent.
    Whether the user may read it is the caller's check."""
    unit = request.args.get("unit", user.unit)
    if unit not in svc.tree:
        raise BadQuery("unit", f"unknown unit {unit!r}")
    return unit


def format_arg() -> str:
    """The `format` query argument of a read that also answers as CSV."""
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadQuery("format", "json or csv")
    return fmt


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


def int_arg(name: str, default: int, *, lo: int = 0, hi: int = MAX_SEQ) -> int:
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


# ---------------------------------------------------------------- CSV answers

# A text cell starting with one of these is a formula to a spreadsheet program (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """The value as a CSV cell: text that a spreadsheet would run as a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(columns: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(c) for c in columns])
    for row in rows:
        writer.writerow([csv_cell(row.get(c)) for c in columns])
    return out.getvalue()


def csv_response(columns: list[str], rows: list[dict], filename: str) -> Response:
    # The BOM lets spreadsheet programs on Chinese Windows read UTF-8.
    body = "\ufeff" + csv_text(columns, rows)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
