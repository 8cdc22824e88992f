"""Repeated identical log lines: once per interval with a count (an outage logs a line a minute, not one per message)."""
from __future__ import annotations

import logging

from dashboard.repeated_errors import RepeatedErrors


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _logger(name: str, now: list[float]):
    logger = logging.getLogger(name)
    logger.propagate = False
    handler = ListHandler()
    logger.addHandler(handler)
    RepeatedErrors.on(logger, interval=60, clock=lambda: now[0])
    return logger, handler


def test_repeats_are_dropped_then_counted():
    now = [1000.0]
    logger, out = _logger("test.throttle.repeats", now)
    for _ in range(500):  # a Redis outage: one error per message
        logger.error("Cannot publish to redis... retrying")
    assert out.lines == ["Cannot publish to redis... retrying"]
    now[0] += 61
    logger.error("Cannot publish to redis... retrying")
    assert out.lines[-1] == "Cannot publish to redis... retrying (repeated 499 times in the last 60 s)"
    now[0] += 61
    logger.error("Cannot publish to redis... retrying")
    assert out.lines[-1] == "Cannot publish to redis... retrying"


def test_different_messages_and_levels_are_separate():
    now = [0.0]
    logger, out = _logger("test.throttle.kinds", now)
    logger.error("fan-out of %d messages failed", 3)
    logger.error("fan-out of %d messages failed", 4)  # same template: a repeat
    logger.warning("fan-out of %d messages failed", 5)
    logger.error("another error")
    assert out.lines == ["fan-out of 3 messages failed", "fan-out of 5 messages failed", "another error"]


def test_on_adds_one_filter():
    logger = logging.getLogger("test.throttle.once")
    RepeatedErrors.on(logger)
    RepeatedErrors.on(logger)
    assert sum(isinstance(f, RepeatedErrors) for f in logger.filters) == 1


def test_report_counts_repeats_and_flush_summarises():
    now = [0.0]
    logger = logging.getLogger("test.repeated.report")
    logger.propagate = False
    out = ListHandler()
    logger.addHandler(out)
    errors = RepeatedErrors(logger, interval=10, part="redis", clock=lambda: now[0])
    for _ in range(3):
        errors.report("publish", ConnectionError("refused"))
    assert out.lines == ["redis: cannot publish: ConnectionError: refused"]
    errors.flush("publish")
    assert out.lines[-1] == "redis: cannot publish: ConnectionError: refused (2 more times before it recovered)"
    errors.report("publish", ConnectionError("refused"))  # after recovery: logged at once again
    assert len(out.lines) == 3
