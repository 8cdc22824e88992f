"""Redis publish failures are counted (dashboard_redis_errors_total) and logged
once per interval with a count, not once per message."""
from __future__ import annotations

import logging

from dashboard import metrics
from dashboard.realtime.redis_manager import make_manager
from tests.helpers import free_port


def test_publish_failures_are_counted_and_logged_once(caplog):
    manager = make_manager(f"redis://127.0.0.1:{free_port()}/0", "dashboard-test")  # nobody listens there
    before = metrics.REDIS_ERRORS.labels("publish")._value.get()
    with caplog.at_level(logging.ERROR):
        for _ in range(5):
            assert manager._publish({"method": "emit", "event": "event", "data": {}}) is False
    # Two attempts for the first message; the next ones, right after a failure, are counted lost unattempted.
    assert metrics.REDIS_ERRORS.labels("publish")._value.get() == before + 2
    lines = [r.getMessage() for r in caplog.records if "redis" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("redis: cannot publish:"), lines
