"""The announcer: what actions hand their messages to after the commit. It fans
them out to Socket.IO rooms, coalesced under load, through a *sink* (the
Socket.IO server here; the Redis message queue in a process without clients,
dashboard.realtime.queue_announcer).

A message about unit U goes to the room of U and of every ancestor. Two room
families per unit:
- ``u:<code>``: one Socket.IO message per stored message (`event`, `alert`),
  exactly as CONTRACT describes;
- ``b:<code>``: clients that connected with ``auth.batch = true`` get one
  ``batch`` message per flush, ``{"messages": [{"name", "data"}, ..]}``.
  A process fans out a few thousand websocket frames a second; batching is what
  lets 200 walls follow 100 events/s (see bench/latency.py).

The flusher sends the first message at once, then waits `interval` before the
next flush, so a quiet system has no added latency and a busy one sends at
most 1/interval frames per client per second.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from typing import Callable, Iterator, Protocol

from dashboard import metrics
from dashboard.domain.messages import Outbound
from dashboard.domain.unit_tree import UnitTree
from dashboard.repeated_errors import RepeatedErrors

NAMESPACE = "/live"
log = RepeatedErrors.on(logging.getLogger(__name__))  # a broken sink fails every flush: once a minute, counted


class Sink(Protocol):
    def emit(self, event: str, data: object, room: str) -> None: ...


def unit_room(code: str) -> str:
    return f"u:{code}"


def batch_room(code: str) -> str:
    return f"b:{code}"


class SocketIOSink:
    """Emits through a Flask-SocketIO server, or a write-only queue manager
    in a process without the web app (both have `emit(..., namespace, to)`)."""

    def __init__(self, socketio) -> None:
        self._sio = socketio

    def emit(self, event: str, data: object, room: str) -> None:
        self._sio.emit(event, data, namespace=NAMESPACE, to=room)


class CoalescingAnnouncer:
    def __init__(self, sink: Sink, tree: Callable[[], UnitTree], *, interval: float = 0.05) -> None:
        self._sink = sink
        self._tree = tree
        self._interval = interval
        self._pending: list[Outbound] = []
        self._announced_at: list[tuple[float, int]] = []  # (when, how many) per announce: push latency
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._flushing = False  # a batch taken from _pending is being sent
        self._open = threading.Event()  # cleared while `paused()`
        self._open.set()
        self.flushes = 0

    def announce(self, messages: list[Outbound]) -> None:
        if not messages:
            return
        with self._lock:
            self._pending.extend(messages)
            self._announced_at.append((time.perf_counter(), len(messages)))
        self._ensure_started()
        self._wake.set()

    def _ensure_started(self) -> None:
        # Started lazily, inside the serving process (never at import).
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="announcer", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            self._open.wait()
            with self._lock:
                batch, self._pending = self._pending, []
                stamps, self._announced_at = self._announced_at, []
                self._flushing = bool(batch)
            if batch:
                try:
                    self.flush(batch)
                    done = time.perf_counter()
                    for at, n in stamps:
                        for _ in range(n):
                            metrics.PUSH_SECONDS.observe(done - at)
                except Exception:  # a broken emit must not kill the fan-out loop
                    metrics.FANOUT_ERRORS.inc()
                    log.exception("fan-out of %d messages failed", len(batch))
                finally:
                    self._flushing = False
                if self._interval:
                    time.sleep(self._interval)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Keep what is announced inside the block pending, as a busy fan-out does between
        flushes; the flush follows at the end of the block. A seam for tests of the
        race between a client joining its room and messages committed before it joined."""
        self._open.clear()
        try:
            yield
        finally:
            self._open.set()
            self._wake.set()

    def flush(self, batch: list[Outbound]) -> None:
        """Send one flush worth of messages (seq order kept within each room)."""
        tree = self._tree()
        per_room: dict[str, list[Outbound]] = defaultdict(list)
        for msg in sorted(batch, key=lambda m: m.seq):
            for code in tree.lineage(msg.unit):
                per_room[code].append(msg)
        for code, msgs in per_room.items():
            for msg in msgs:
                self._sink.emit(msg.name, msg.data, unit_room(code))
            self._sink.emit("batch", {"messages": [{"name": m.name, "data": m.data} for m in msgs]},
                            batch_room(code))
        self.flushes += 1
        _count(batch)

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until everything announced so far has been flushed (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._pending and not self._flushing:
                    return
            time.sleep(0.01)


def _count(batch: list[Outbound]) -> None:
    for msg in batch:
        metrics.MESSAGES_FANNED_OUT.labels(msg.name).inc()
        if msg.name == "alert":
            metrics.ALERT_CHANGES.labels(msg.data.get("action", "unknown")).inc()
