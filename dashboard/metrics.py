"""Prometheus metrics (GET /metrics), each updated by the code that owns it.

One endpoint per process: every server process (and only it) answers for its
own counters, and Prometheus scrapes each process as its own target, so the
`instance` label tells them apart (docs/INTERFACE.md says why not the
multiprocess mode). The store gauges (open items, alerts, head seq) read the
shared database, the same from every process: aggregate them with max().
"""
from __future__ import annotations

import platform
import threading
import time
from typing import Callable

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram,
                               disable_created_metrics, generate_latest)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

disable_created_metrics()  # the *_created series double every family and tell an operator nothing here
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)

BUILD_INFO = Gauge("dashboard_build_info", "Always 1: the version and runtime of this process",
                   ["version", "python", "role"], registry=REGISTRY)

HTTP_REQUESTS = Counter("dashboard_http_requests", "HTTP requests answered, by route template and status",
                        ["method", "route", "status"], registry=REGISTRY)
HTTP_SECONDS = Histogram("dashboard_http_request_duration_seconds", "HTTP request duration by route template",
                         ["method", "route"], registry=REGISTRY, buckets=FAST)

EVENTS_ACCEPTED = Counter("dashboard_events_accepted", "Events stored", registry=REGISTRY)
EVENTS_DUPLICATE = Counter("dashboard_events_duplicate", "Events already stored (same source and id)", registry=REGISTRY)
EVENTS_REJECTED = Counter("dashboard_events_rejected", "Problems found in rejected batches", registry=REGISTRY)
INGEST_SECONDS = Histogram("dashboard_ingest_duration_seconds", "POST /api/v1/events: read, check, store one batch",
                           registry=REGISTRY, buckets=FAST)

MESSAGES_FANNED_OUT = Counter("dashboard_messages_announced", "Stored messages handed to the fan-out",
                              ["name"], registry=REGISTRY)
PUSH_SECONDS = Histogram("dashboard_push_latency_seconds",
                         "From the commit of a message to its emit to the Socket.IO rooms", registry=REGISTRY,
                         buckets=FAST)
ALERT_CHANGES = Counter("dashboard_alert_changes", "Alert changes announced (escalated: moved one level up)",
                        ["action"], registry=REGISTRY)
FANOUT_ERRORS = Counter("dashboard_fanout_errors", "Flushes of the fan-out that failed", registry=REGISTRY)

LIVE_CLIENTS = Gauge("dashboard_live_clients", "Socket.IO clients connected to /live, by the level of their unit",
                     ["level"], registry=REGISTRY)
RESUMES = Counter("dashboard_live_resumes", "`resume` requests answered", registry=REGISTRY)
REPLAYED = Counter("dashboard_live_replayed_messages", "Messages replayed to resuming clients", registry=REGISTRY)
RESYNCS = Counter("dashboard_live_resyncs", "`resync` sent: a gap too large to replay", registry=REGISTRY)
REFUSALS = Counter("dashboard_live_refusals", "Socket.IO connections refused", registry=REGISTRY)

SWEEP_SECONDS = Histogram("dashboard_sweep_seconds", "Deadline sweep duration", registry=REGISTRY,
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
SWEEP_ERRORS = Counter("dashboard_sweep_errors", "Deadline sweeps that failed", registry=REGISTRY)
SWEEP_LAST_SUCCESS = Gauge("dashboard_sweep_last_success_timestamp_seconds",
                           "When the last sweep of this process finished", registry=REGISTRY)

REDIS_ERRORS = Counter("dashboard_redis_errors", "Redis message-queue failures", ["operation"], registry=REGISTRY)
DATABASE_ERRORS = Counter("dashboard_database_errors", "Database statements that raised", registry=REGISTRY)

for _level in ("district", "street", "community", "grid"):
    LIVE_CLIENTS.labels(_level)
for _op in ("publish", "subscribe"):
    REDIS_ERRORS.labels(_op)
for _action in ("raised", "escalated", "rearmed", "acknowledged", "resolved"):
    ALERT_CHANGES.labels(_action)


class StoreCollector:
    """Open and overdue items, active alerts and the head seq, read from the
    database at scrape time: three grouped queries, cached for `ttl` seconds."""

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._source: Callable[[], dict] | None = None
        self._cached: tuple[float, dict] | None = None
        self._lock = threading.Lock()

    def bind(self, source: Callable[[], dict]) -> None:
        """`source()` answers {"items": [(kind, level, open, overdue)], "alerts": [(level, state, n)], "head": n}."""
        with self._lock:
            self._source, self._cached = source, None

    def _read(self) -> dict | None:
        with self._lock:
            if self._source is None:
                return None
            if self._cached and time.monotonic() - self._cached[0] < self.ttl:
                return self._cached[1]
            try:
                data = self._source()
            except Exception:  # a scrape reports, never raises: the database errors count says why
                return self._cached[1] if self._cached else None
            self._cached = (time.monotonic(), data)
            return data

    def collect(self):
        data = self._read()
        if data is None:
            return
        open_items = GaugeMetricFamily("dashboard_open_items", "Open items by kind and level of their unit",
                                       labels=["kind", "level"])
        overdue = GaugeMetricFamily("dashboard_overdue_items",
                                    "Open items with an active alert (a missed deadline), by kind and level",
                                    labels=["kind", "level"])
        for kind, level, n_open, n_overdue in data["items"]:
            open_items.add_metric([kind, level], n_open)
            overdue.add_metric([kind, level], n_overdue)
        alerts = GaugeMetricFamily("dashboard_active_alerts", "Alerts not resolved, by the level holding them and state",
                                   labels=["level", "state"])
        for level, state, n in data["alerts"]:
            alerts.add_metric([level, state], n)
        head = GaugeMetricFamily("dashboard_head_seq", "The highest seq stored (events and alert changes)")
        head.add_metric([], data["head"])
        due = GaugeMetricFamily("dashboard_items_due_unswept",
                                "Open items past a deadline the sweep has not yet alerted (grows when it fails)")
        due.add_metric([], data.get("due", 0))
        yield from (open_items, overdue, alerts, head, due)

    def describe(self):
        return []


STORE = StoreCollector()
REGISTRY.register(STORE)


def set_build_info(version: str, role: str) -> None:
    BUILD_INFO.clear()
    BUILD_INFO.labels(version, platform.python_version(), role).set(1)


def render() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
