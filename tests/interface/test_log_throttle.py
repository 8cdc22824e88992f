"""Repeated identical log lines: once per interval with a count (an outage logs a line a minute, not one per message)."""
from __future__ import annotations

import logging

from dashboard.log_throttle import RepeatFilter, throttle


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
    logger.addFilter(RepeatFilter(interval=60, clock=lambda: now[0]))
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


def test_throttle_adds_one_filter():
    logger = logging.getLogger("test.throttle.once")
    throttle(logger)
    throttle(logger)
    assert sum(isinstance(f, RepeatFilter) for f in logger.filters) == 1
