"""Repeated identical log lines, once per interval with a count.

An outage (Redis down, the database gone) makes the same error fire once per
message or tick; the log should say it once, then how often it recurred:

    logging.getLogger("socketio").addFilter(RepeatFilter(interval=60))

The first record of a kind passes at once; repeats within `interval` are
dropped and counted; the first one after the interval passes carrying
"(repeated N times in the last 60 s)". A kind is the logger, level and
message template, so "failed for unit A" and "failed for unit B" are two.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable


class RepeatFilter(logging.Filter):
    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval, self._clock = interval, clock
        self._seen: dict[tuple, list] = {}  # kind -> [window start, repeats dropped]
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        kind = (record.name, record.levelno, str(record.msg))
        now = self._clock()
        with self._lock:
            seen = self._seen.get(kind)
            if seen is not None and now - seen[0] < self.interval:
                seen[1] += 1
                return False
            dropped = seen[1] if seen else 0
            self._seen[kind] = [now, 0]
            if len(self._seen) > 1000:  # kinds that stopped recurring
                self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.interval}
        if dropped:
            record.msg = f"{record.msg} (repeated {dropped} times in the last {self.interval:.0f} s)"
        return True


def throttle(logger: logging.Logger, interval: float = 60.0) -> logging.Logger:
    """Add one RepeatFilter to `logger` (idempotent) and return it."""
    if not any(isinstance(f, RepeatFilter) for f in logger.filters):
        logger.addFilter(RepeatFilter(interval))
    return logger
