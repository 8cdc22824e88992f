"""The probes a load balancer and Prometheus ask: `/healthz` (the process
answers), `/readyz` (its parts are reachable, dashboard.web.readiness) and
`/metrics`."""
from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify

from dashboard import metrics
from dashboard.web.readiness import check_parts
from dashboard.services import current_services

probes = Blueprint("probes", __name__)


def register_probes(flask: Flask) -> None:
    flask.register_blueprint(probes)


@probes.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@probes.get("/readyz")
def readyz():
    ready, body = check_parts(current_services())
    return jsonify(body), 200 if ready else 503


@probes.get("/metrics")
def get_metrics():
    body, content_type = metrics.render()
    return Response(body, content_type=content_type)
