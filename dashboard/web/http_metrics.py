"""The web process's metrics wiring: request count and latency of every HTTP
answer by route template (not by URL, so /wall/<unit> is one series) and
status; database errors; the store gauges read at scrape; build info."""
from __future__ import annotations

import subprocess
import time

from flask import Flask, g, request
from sqlalchemy import event

from dashboard import metrics
from dashboard.services import Services
from dashboard.settings import ROOT
from dashboard.store.gauges import store_gauges


def build_version() -> str:
    """The commit this process runs (a deployment without git says "unknown")."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=5)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def watch_store(svc: Services, role: str = "web") -> None:
    """Count database errors of this engine; read the store gauges from it at scrape."""
    event.listen(svc.engine, "handle_error", lambda _context: metrics.DATABASE_ERRORS.inc())
    metrics.STORE.bind(lambda: store_gauges(svc.engine, tree=svc.tree, now=svc.clock()))
    metrics.set_build_info(build_version(), role)


def init_http_metrics(flask: Flask) -> None:
    @flask.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @flask.after_request
    def _observe(response):
        started = g.get("request_started")
        if started is not None:
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            metrics.HTTP_SECONDS.labels(request.method, route).observe(time.perf_counter() - started)
            metrics.HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        return response
