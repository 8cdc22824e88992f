"""Logging an error that repeats (a part is down and every request hits it):
the first occurrence at once, the repeats counted and summarised once per
interval and when the trouble is over — not one line per message."""
from __future__ import annotations

import logging
import threading
import time

ERROR_LOG_INTERVAL_S = 10.0


class RepeatedErrorLog:
    """Logs an error the first time it is seen in an interval; later identical
    ones are counted and summarised when the interval is over."""

    def __init__(self, logger: logging.Logger, interval: float = ERROR_LOG_INTERVAL_S, part: str = "redis") -> None:
        self._log, self._interval, self._part = logger, interval, part
        self._seen: dict[tuple[str, str], list[float | int]] = {}  # key -> [first logged at, repeats]
        self._lock = threading.Lock()

    def report(self, what: str, exc: BaseException) -> None:
        key, now = (what, f"{type(exc).__name__}: {exc}"), time.monotonic()
        with self._lock:
            entry = self._seen.get(key)
            if entry is not None and now - entry[0] < self._interval:
                entry[1] += 1
                return
            repeats = int(entry[1]) if entry else 0
            self._seen[key] = [now, 0]
        more = f" (and {repeats} more times in the last {self._interval:.0f} s)" if repeats else ""
        self._log.error("%s: cannot %s: %s%s", self._part, what, key[1], more)

    def flush(self, what: str) -> None:
        """The trouble is over: say how often it repeated since it was last logged."""
        with self._lock:
            done = [(k, int(v[1])) for k, v in self._seen.items() if k[0] == what]
            for k, _ in done:
                del self._seen[k]
        for (_, text), repeats in done:
            if repeats:
                self._log.error("%s: cannot %s: %s (%d more times before it recovered)", self._part, what, text,
                                repeats)
