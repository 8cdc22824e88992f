"""Redis failures that python-socketio retries and only logs are counted
(dashboard_redis_errors_total) and logged once a minute, not per message."""
from __future__ import annotations

import logging

from dashboard import metrics
from dashboard.realtime.holding import make_manager
from tests.helpers import free_port


def test_publish_failures_are_counted_and_logged_once(caplog):
    manager = make_manager(f"redis://127.0.0.1:{free_port()}/0", "dashboard-test")  # nobody listens there
    before = metrics.REDIS_ERRORS.labels("publish")._value.get()
    with caplog.at_level(logging.ERROR):
        for _ in range(5):
            manager._publish({"method": "emit", "event": "event", "data": {}})
    assert metrics.REDIS_ERRORS.labels("publish")._value.get() == before + 10  # two attempts per message
    lines = [r.getMessage() for r in caplog.records if "redis" in r.getMessage()]
    assert lines == ["Cannot publish to redis... retrying", "Cannot publish to redis... giving up"]
