"""Prometheus metrics (GET /metrics). Counters are per process."""
from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry()

EVENTS_ACCEPTED = Counter("dashboard_events_accepted", "Events stored", registry=REGISTRY)
EVENTS_DUPLICATE = Counter("dashboard_events_duplicate", "Events already stored (same source and id)", registry=REGISTRY)
EVENTS_REJECTED = Counter("dashboard_events_rejected", "Problems found in rejected batches", registry=REGISTRY)
LIVE_CLIENTS = Gauge("dashboard_live_clients", "Socket.IO clients connected to /live", registry=REGISTRY)
MESSAGES_FANNED_OUT = Counter("dashboard_messages_announced", "Messages handed to the fan-out", registry=REGISTRY)
SWEEP_SECONDS = Histogram("dashboard_sweep_seconds", "Deadline sweep duration", registry=REGISTRY,
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))


def render() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
