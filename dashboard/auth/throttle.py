"""Throttling (CONTRACT "Read API": too many failed logins or passwords answer
429 with Retry-After), on Flask-Limiter's storage: in memory, or Redis when
DASHBOARD_REDIS_URL is set (then every process counts together).

- Failed logins and failed HTTP Basic checks count per user name and per
  client address (DASHBOARD_LOGIN_FAILURES, default 5/minute;20/hour). Once
  either is spent, the next attempt is 429 before any password is checked, so
  a flood costs no scrypt. Only failures count: users who type their password
  right are never slowed.
- A wrong Basic name+password pair is remembered for a minute (a hash of the
  pair and of the user's row as it was, per app), so a script repeating it
  costs no scrypt either; a changed password or reactivated user is checked afresh.
- Ingest is rate-limited per bearer token (DASHBOARD_INGEST_RATE, default
  600/second): `check_ingest_rate()` in the view.
- While the limiter's Redis is unreachable, counting falls back to this
  process's memory (logged once per interval): an outage never turns a login
  or an ingest request into a 500.
- Password checks run on gevent's thread pool when the server runs on gevent,
  so even allowed checks (~0.1 s of scrypt) do not stall the sockets.
"""
from __future__ import annotations

import hashlib
import math
import time

import logging

from flask import Flask, current_app, jsonify, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from dashboard.repeated_errors import RepeatedErrors
from dashboard.services import current_services

_FAILED_TTL_S = 60.0
_FAILED_MAX = 10000


def init_throttle(flask: Flask, *, redis_url: str | None) -> None:
    """One limiter per app (its counters in memory, or in Redis shared by the deployment's processes)."""
    flask.extensions["dashboard_limiter"] = Limiter(
        key_func=get_remote_address, app=flask, storage_uri=redis_url or "memory://",
        key_prefix="dashboard-limits", strategy="moving-window")
    flask.extensions["dashboard_rate_strategy"] = _FallbackStrategy(flask.extensions["dashboard_limiter"].limiter)
    flask.extensions["dashboard_failed_pairs"] = {}

    @flask.errorhandler(Throttled)
    def _throttled(exc: Throttled):
        return jsonify({"error": exc.description}), 429, {"Retry-After": str(exc.retry_after)}


class _FallbackStrategy:
    """The limiter's strategy, or a moving window in this process's memory while its
    storage (Redis) fails."""

    def __init__(self, primary) -> None:
        self._primary = primary
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._errors = RepeatedErrors(logging.getLogger(__name__), part="rate limits")

    def _call(self, name: str, *args):
        try:
            return getattr(self._primary, name)(*args)
        except Exception as exc:  # storage unreachable: count here until it is back
            self._errors.report("count in the shared storage (counting in memory)", exc)
            return getattr(self._memory, name)(*args)

    def test(self, *args):
        return self._call("test", *args)

    def hit(self, *args):
        return self._call("hit", *args)

    def get_window_stats(self, *args):
        return self._call("get_window_stats", *args)


def _strategy() -> _FallbackStrategy:
    return current_app.extensions["dashboard_rate_strategy"]


def _settings():
    return current_services().settings


def _wait_s(rates: str, keys: list[tuple[str, str]]) -> float:
    """Seconds until every limit of `rates` has room again for every key (0: room now)."""
    strategy, wait = _strategy(), 0.0
    for item in parse_many(rates):
        for key in keys:
            if not strategy.test(item, *key):
                wait = max(wait, strategy.get_window_stats(item, *key).reset_time - time.time(), 1.0)
    return wait


def _hit(rates: str, keys: list[tuple[str, str]]) -> None:
    strategy = _strategy()
    for item in parse_many(rates):
        for key in keys:
            strategy.hit(item, *key)


def _keys(name: str) -> list[tuple[str, str]]:
    return [("login-name", (name or "")[:128].lower()), ("login-addr", request.remote_addr or "-")]


class Throttled(TooManyRequests):
    def __init__(self, retry_after: int, what: str) -> None:
        super().__init__(description=f"too many {what}; try again in {retry_after} s")
        self.retry_after = retry_after

    def get_headers(self, environ=None, scope=None):
        return [*super().get_headers(environ, scope), ("Retry-After", str(self.retry_after))]


def check_failures(name: str, what: str = "failed logins") -> None:
    """Throttled (429 with Retry-After) when failures for this name or this address are spent."""
    wait = _wait_s(_settings().login_failures, _keys(name))
    if wait > 0:
        raise Throttled(math.ceil(wait), what)


def count_failure(name: str) -> None:
    _hit(_settings().login_failures, _keys(name))


def _pair(name: str, password: str, user_state: str) -> str:
    text = f"{len(name)}:{name}:{len(password)}:{password}:{user_state}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _failed_pairs() -> dict[str, float]:
    return current_app.extensions["dashboard_failed_pairs"]


def known_wrong(name: str, password: str, user_state: str) -> bool:
    """True when this pair failed within the last minute against the user row in this
    state (`user_state`: its hash and active flag, or "" for no such user): no scrypt needed."""
    at = _failed_pairs().get(_pair(name, password, user_state))
    return at is not None and time.monotonic() - at < _FAILED_TTL_S


def remember_wrong(name: str, password: str, user_state: str) -> None:
    pairs = _failed_pairs()
    if len(pairs) >= _FAILED_MAX:
        pairs.clear()
    pairs[_pair(name, password, user_state)] = time.monotonic()


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


def check_ingest_rate() -> None:
    """Throttled when this bearer token spent its rate; else counts this request. Keyed by a
    hash of the header, so no token is kept in the limiter's storage."""
    header = request.headers.get("Authorization", "")
    keys = [("ingest", hashlib.sha256(header.encode("utf-8", "surrogatepass")).hexdigest()[:32])]
    rates = _settings().ingest_rate
    strategy = _strategy()
    if not all([strategy.hit(item, *keys[0]) for item in parse_many(rates)]):
        raise Throttled(math.ceil(_wait_s(rates, keys)), f"requests for this ingest token (at most {rates})")
