"""The database is unreachable: answer 503 with Retry-After, not 500.

A request that needs the database while it restarts (PostgreSQL failing over,
SQLite locked past its busy timeout) fails in the driver with an
OperationalError; its transaction was never committed, so nothing — not half a
batch — was stored, and the client should simply send it again. The engine's
pre-ping reconnects by itself once the database is back.
"""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from sqlalchemy.exc import InterfaceError, OperationalError

from dashboard.repeated_errors import RepeatedErrors

RETRY_AFTER_S = 5
log = logging.getLogger(__name__)
_errors = RepeatedErrors(log, part="database")


def register_unavailable(flask: Flask) -> None:
    @flask.errorhandler(OperationalError)
    @flask.errorhandler(InterfaceError)
    def _database_unavailable(exc: Exception):
        _errors.report(f"serve {request.method} {request.path}", getattr(exc, "orig", None) or exc)
        message = "database unavailable; nothing was stored; retry later"
        body = jsonify({"error": message}) if request.path.startswith("/api/") else message
        return body, 503, {"Retry-After": str(RETRY_AFTER_S)}
