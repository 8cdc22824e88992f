"""Throttling (CONTRACT "Read API": too many failed logins or passwords answer
429 with Retry-After), on Flask-Limiter's storage: in memory, or Redis when
DASHBOARD_REDIS_URL is set (then every process counts together).

- Failed logins and failed HTTP Basic checks count per user name and per
  client address (DASHBOARD_LOGIN_FAILURES, default 5/minute;20/hour). Once
  either is spent, the next attempt is 429 before any password is checked, so
  a flood costs no scrypt. Only failures count: users who type their password
  right are never slowed.
- A wrong Basic name+password pair is remembered for a minute (a hash of the
  pair, in this process), so a script repeating it costs no scrypt either.
- Ingest is rate-limited per bearer token (DASHBOARD_INGEST_RATE, default
  600/second): `ingest_limit` decorates the view.
- Password checks run on gevent's thread pool when the server runs on gevent,
  so even allowed checks (~0.1 s of scrypt) do not stall the sockets.
"""
from __future__ import annotations

import hashlib
import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

limiter = Limiter(key_func=get_remote_address, headers_enabled=True, strategy="moving-window")

_FAILED_TTL_S = 60.0
_FAILED_MAX = 10000
_failed_pairs: dict[str, float] = {}


def init_throttle(flask: Flask, *, redis_url: str | None) -> None:
    flask.config["RATELIMIT_STORAGE_URI"] = redis_url or "memory://"
    flask.config["RATELIMIT_KEY_PREFIX"] = "dashboard-limits"
    flask.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(flask)


def _limits():
    return parse_many(current_app.extensions["dashboard"].settings.login_failures)


def _keys(name: str) -> list[tuple[str, str]]:
    return [("login-name", (name or "")[:128].lower()), ("login-addr", request.remote_addr or "-")]


class Throttled(TooManyRequests):
    def __init__(self, retry_after: int, what: str) -> None:
        super().__init__(description=f"too many failed {what}; try again in {retry_after} s")
        self.retry_after = retry_after

    def get_headers(self, environ=None, scope=None):
        return [*super().get_headers(environ, scope), ("Retry-After", str(self.retry_after))]


def check_failures(name: str, what: str = "logins") -> None:
    """Throttled (429 with Retry-After) when failures for this name or this address are spent."""
    strategy = limiter.limiter
    wait = 0.0
    for item in _limits():
        for key in _keys(name):
            if not strategy.test(item, *key):
                reset = strategy.get_window_stats(item, *key).reset_time
                wait = max(wait, reset - time.time())
    if wait > 0:
        raise Throttled(max(1, math.ceil(wait)), what)


def count_failure(name: str) -> None:
    strategy = limiter.limiter
    for item in _limits():
        for key in _keys(name):
            strategy.hit(item, *key)


def _pair(name: str, password: str) -> str:
    return hashlib.sha256(f"{len(name)}:{name}:{password}".encode("utf-8", "surrogatepass")).hexdigest()


def known_wrong(name: str, password: str) -> bool:
    """True when this exact pair failed within the last minute (no scrypt needed to refuse it again)."""
    at = _failed_pairs.get(_pair(name, password))
    return at is not None and time.monotonic() - at < _FAILED_TTL_S


def remember_wrong(name: str, password: str) -> None:
    if len(_failed_pairs) >= _FAILED_MAX:
        _failed_pairs.clear()
    _failed_pairs[_pair(name, password)] = time.monotonic()


def forget_wrong(name: str, password: str) -> None:
    _failed_pairs.pop(_pair(name, password), None)


def off_loop(fn, *args):
    """Run `fn(*args)` on gevent's thread pool when this process is monkey-patched (scrypt
    releases the GIL there), else inline."""
    try:
        from gevent import get_hub, monkey

        if monkey.is_module_patched("socket"):
            return get_hub().threadpool.apply(fn, args)
    except ImportError:
        pass
    return fn(*args)


def _bearer_key() -> str:
    header = request.headers.get("Authorization", "")
    return "token:" + hashlib.sha256(header.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def ingest_limit(view):
    """Per bearer token (keyed by a hash of the header, so no token is kept in the limiter's storage)."""
    return limiter.limit(lambda: current_app.extensions["dashboard"].settings.ingest_rate,
                         key_func=_bearer_key)(view)
