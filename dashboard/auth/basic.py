"""Who is calling the API: HTTP Basic for scripts, else the browser session
with its CSRF token (see dashboard.auth.csrf)."""
from __future__ import annotations

import hashlib
import logging
import time

from flask import g, request
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import Unauthorized
from wtforms.validators import ValidationError

from dashboard.auth.csrf import CSRF_COOKIE, CSRF_HEADER, UNSAFE_METHODS
from dashboard.auth.sessions import CurrentUser, session_user, users_engine
from dashboard.auth.throttle import check_failures, count_failure, known_wrong, off_loop, remember_wrong
from dashboard.store import users as user_store

log = logging.getLogger(__name__)


def api_user(*, require_csrf: bool | None = None) -> CurrentUser | None:
    """The user of an API request, or None.

    - An `Authorization: Basic` header is checked against the database and
      decides alone: wrong credentials are no user, even with a session.
    - Otherwise the logged-in session user, provided the request carries a
      valid CSRF token in `X-CSRFToken`. By default the token is asked for on
      unsafe methods (POST, PUT, PATCH, DELETE) only, like Flask-WTF;
      `require_csrf=True` asks for it on every method.

    When None, `api_auth_error()` says why, for the 401 body.
    """
    cached = g.get("_dashboard_api_auth")
    if cached is not None and cached[2] == require_csrf:
        return cached[0]
    user, problem = _resolve_api_user(require_csrf)
    g._dashboard_api_auth = (user, problem, require_csrf)
    return user


# Verified Basic credentials, briefly: a scrypt check costs ~0.2 s of CPU, which
# on the gevent server stalls every socket of the process; scripts repeat calls.
_BASIC_TTL_S = 60.0
_basic_cache: dict[tuple[str, str], tuple[float, int]] = {}


def _basic_user(name: str, password: str) -> CurrentUser | None:
    key = (name, hashlib.sha256(password.encode("utf-8", "surrogatepass")).hexdigest())
    hit = _basic_cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < _BASIC_TTL_S:
        row = user_store.get_user(users_engine(), hit[1])  # still re-read: a deactivated user is out at once
        return CurrentUser.from_row(row) if row is not None and row.active else None
    check_failures(name, "failed passwords")       # 429 before any scrypt once failures are spent
    state = user_store.password_state(users_engine(), name)
    if known_wrong(name, password, state):
        count_failure(name)
        return None
    row = user_store.authenticate(users_engine(), name=name, password=password, run=off_loop)
    if row is None:
        _basic_cache.pop(key, None)
        remember_wrong(name, password, state)
        count_failure(name)
        return None
    if len(_basic_cache) > 1000:
        _basic_cache.clear()
    _basic_cache[key] = (time.monotonic(), int(row.id))
    return CurrentUser.from_row(row)


def _resolve_api_user(require_csrf: bool | None) -> tuple[CurrentUser | None, str]:
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        user = _basic_user(auth.username or "", auth.password or "")
        if user is None:
            log.info("API Basic authentication failed for %r from %s", auth.username, request.remote_addr)
            return None, "wrong user name or password (HTTP Basic)"
        return user, ""
    user = session_user()
    if user is None:
        return None, "login required: log in at /login, or send HTTP Basic credentials"
    needs_token = request.method in UNSAFE_METHODS if require_csrf is None else require_csrf
    if needs_token:
        try:
            validate_csrf(request.headers.get(CSRF_HEADER))
        except ValidationError as exc:
            reason = exc.args[0] if exc.args else "The CSRF token is invalid."
            return None, (f"CSRF token missing or invalid ({reason}): send the {CSRF_HEADER} header "
                          f"with the value of the {CSRF_COOKIE} cookie")
    return user, ""


def api_auth_error() -> str:
    """Why `api_user()` found nobody in this request (empty when it found someone)."""
    cached = g.get("_dashboard_api_auth")
    if cached is None:
        api_user()
        cached = g._dashboard_api_auth
    return cached[1]


def require_api_user(*, require_csrf: bool | None = None) -> CurrentUser:
    """`api_user()` or a 401 (JSON `{"error": <why>}` under /api/)."""
    user = api_user(require_csrf=require_csrf)
    if user is None:
        raise Unauthorized(description=api_auth_error())
    return user
