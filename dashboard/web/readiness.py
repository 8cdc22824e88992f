"""Readiness: can this process do its work right now? (`GET /readyz`)

The database always, Redis only when configured. Each part answers "ok" or
what went wrong; the probe never raises and never waits more than a second or
two per part, so a load balancer takes the process out while a part is away
and back when it returns. Liveness (`/healthz`) asks nothing of them.
"""
from __future__ import annotations

import threading

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from dashboard.services import Services
from dashboard.store.queries import current_head

_clients: dict[str, redis.Redis] = {}
_lock = threading.Lock()


def _redis(url: str) -> redis.Redis:
    with _lock:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0,
                                                          retry=Retry(NoBackoff(), 0))
        return client


def check_parts(svc: Services) -> tuple[bool, dict]:
    """(ready, body): body names every part with "ok" or its error."""
    body: dict = {}
    failed: list[str] = []
    try:
        body["head"] = current_head(svc.engine)
        body["database"] = "ok"
    except Exception as exc:  # readiness reports, never raises
        body["database"] = f"{type(exc).__name__}: {exc}"[:200]
        failed.append("database")
    if svc.settings.redis_url:
        try:
            _redis(svc.settings.redis_url).ping()
            body["redis"] = "ok"
        except Exception as exc:  # likewise
            body["redis"] = f"{type(exc).__name__}: {exc}"[:200]
            failed.append("redis")
    body["status"] = "unavailable" if failed else "ready"
    if failed:
        body["unavailable"] = failed
    body["units"] = len(svc.tree.nodes)
    return not failed, body
