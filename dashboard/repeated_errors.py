"""An error that repeats (a part is down and every message or request hits it)
is logged the first time, then counted and summarised once per interval —
not one line per message.

One mechanism, two ways in:

- our own call sites report what failed: `errors.report("publish", exc)`
  logs "redis: cannot publish: <exc>"; `errors.flush("publish")` says how
  often it repeated once the trouble is over;
- a logger whose call sites are not ours (python-socketio's) gets the same
  counting as a logging filter: `RepeatedErrors.on(logging.getLogger("socketio"))`.
  There a kind is the logger, level and message template, so "failed for
  unit A" and "failed for unit B" are one kind, and a warning is not an error.

The first record of a kind passes at once; repeats within `interval` are
dropped and counted; the first one after the interval passes carrying
"(repeated N times in the last 60 s)".
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Hashable

ERROR_LOG_INTERVAL_S = 10.0
FILTER_INTERVAL_S = 60.0
_MAX_KINDS = 1000


class RepeatedErrors(logging.Filter):
    def __init__(self, logger: logging.Logger, interval: float = ERROR_LOG_INTERVAL_S, part: str = "redis",
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._log, self.interval, self._part, self._clock = logger, interval, part, clock
        self._seen: dict[Hashable, list] = {}  # kind -> [window start, repeats dropped]
        self._lock = threading.Lock()

    @classmethod
    def on(cls, logger: logging.Logger, interval: float = FILTER_INTERVAL_S,
           clock: Callable[[], float] = time.monotonic) -> logging.Logger:
        """Count the repeats of every record of `logger` (idempotent) and return it."""
        if not any(isinstance(f, cls) for f in logger.filters):
            logger.addFilter(cls(logger, interval, clock=clock))
        return logger

    def _dropped(self, kind: Hashable) -> int | None:
        """None when this occurrence of `kind` is a repeat within the interval (counted, not
        logged); else how many repeats were dropped since it was last logged."""
        now = self._clock()
        with self._lock:
            seen = self._seen.get(kind)
            if seen is not None and now - seen[0] < self.interval:
                seen[1] += 1
                return None
            self._seen[kind] = [now, 0]
            if len(self._seen) > _MAX_KINDS:  # kinds that stopped recurring
                self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.interval}
        return seen[1] if seen else 0

    def _suffix(self, dropped: int) -> str:
        return f" (repeated {dropped} times in the last {self.interval:.0f} s)" if dropped else ""

    def filter(self, record: logging.LogRecord) -> bool:
        dropped = self._dropped((record.name, record.levelno, str(record.msg)))
        if dropped is None:
            return False
        if dropped:
            record.msg = f"{record.msg}{self._suffix(dropped)}"
        return True

    def report(self, what: str, exc: BaseException) -> None:
        """`what` failed with `exc`: logged now, or counted when it failed alike within the interval."""
        text = f"{type(exc).__name__}: {exc}"
        dropped = self._dropped(("report", what, text))
        if dropped is not None:
            self._log.error("%s: cannot %s: %s%s", self._part, what, text, self._suffix(dropped))

    def flush(self, what: str) -> None:
        """The trouble is over: say how often `what` failed since it was last logged."""
        with self._lock:
            done = [(k, int(v[1])) for k, v in self._seen.items() if k[0] == "report" and k[1] == what]
            for k, _ in done:
                del self._seen[k]
        for (_, _, text), repeats in done:
            if repeats:
                self._log.error("%s: cannot %s: %s (%d more times before it recovered)", self._part, what, text,
                                repeats)
