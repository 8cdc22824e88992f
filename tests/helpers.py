"""Shared helpers for the API, realtime, integration and browser tests.

Event builders (valid by default, so a test states only what it changes),
polling with a timeout instead of sleeping, and a thread-safe Socket.IO client
for tests that talk to a real server process.
"""
from __future__ import annotations

import itertools
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = ROOT / "test-output"  # git-ignored: screenshots and other artefacts

TOKEN = "test-ingest-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

DISTRICT = "tongliang"
STREET = "bachuan"
COMMUNITY = "bachuan-zhengjie"
GRID = "bachuan-zhengjie-g01"
GRID2 = "bachuan-zhengjie-g02"
SIBLING_COMMUNITY = "bachuan-jinlong"
SIBLING_GRID = "bachuan-jinlong-g01"
OTHER_STREET = "nancheng"
OTHER_GRID = "nancheng-longcheng-g01"

# A policy under which nothing falls due and no surge fires: the spine tests
# then see exactly the messages of the events they post (the sample events are
# dated in the past, and several share a grid and a category).
QUIET_POLICY = """\
sweep_interval: 1h
escalate_after: 30d
ack_timeout: 30d
incident:
  default: {acknowledge: none, arrive: none, resolve: none}
mediation:
  default: {resolve: none}
patrol:
  checkpoint_grace: 30d
surge: {window: 1s, count: 100000}
"""

_counter = itertools.count(1)


def unique(prefix: str = "t") -> str:
    """A short id no other test (or earlier run on the same database) uses."""
    return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:8]}"


def incident(ref: str | None = None, *, type: str = "reported", unit: str = GRID, **fields: Any) -> dict:
    """A valid incident event; `reported` carries category and priority."""
    ev: dict[str, Any] = {
        "id": unique("ev"),
        "source": "grid-app",
        "kind": "incident",
        "type": type,
        "ref": ref or unique("INC"),
        "unit": unit,
        "occurred_at": "2026-11-27T09:30:00+08:00",
    }
    if type == "reported":
        ev.update(category="parking", priority=3, title="乱停车 test")
    ev.update(fields)
    return ev


def patrol_started(ref: str | None = None, *, unit: str = GRID, **fields: Any) -> dict:
    ev = {
        "id": unique("ev"), "source": "patrol-app", "kind": "patrol", "type": "started",
        "ref": ref or unique("PAT"), "unit": unit, "occurred_at": "2026-11-27T09:00:00+08:00",
        "attributes": {"team": "巡逻一队", "team_kind": "security_patrol",
                       "checkpoints": [{"name": "A", "unit": unit, "due_at": "2026-11-27T09:30:00+08:00"}]},
    }
    ev.update(fields)
    return ev


def mediation(ref: str | None = None, *, type: str = "accepted", unit: str = GRID, **fields: Any) -> dict:
    ev: dict[str, Any] = {
        "id": unique("ev"), "source": "mediation", "kind": "mediation", "type": type,
        "ref": ref or unique("MED"), "unit": unit, "occurred_at": "2026-11-27T10:00:00+08:00",
    }
    if type == "accepted":
        ev["category"] = "people"
    ev.update(fields)
    return ev


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02,
             message: str | Callable[[], str] = "condition") -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"timed out after {timeout}s waiting for {text}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveClient:
    """A python-socketio client on `/live` of a real server that records every
    message (`event`, `alert`, `batch`, `hello`, `resync`) in arrival order."""

    NAMES = ("hello", "event", "alert", "batch", "resync")

    def __init__(self, url: str, unit: str, *, batch: bool = False) -> None:
        import socketio

        self.url, self.unit, self.batch = url, unit, batch
        self.received: list[tuple[str, Any]] = []
        self._cond = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        for name in self.NAMES:
            self.sio.on(name, self._recorder(name), namespace="/live")

    def _recorder(self, name: str):
        def record(data=None):
            with self._cond:
                self.received.append((name, data))
                self._cond.notify_all()
        return record

    def connect(self, timeout: float = 10.0) -> "LiveClient":
        auth = {"unit": self.unit, "batch": True} if self.batch else {"unit": self.unit}
        self.sio.connect(self.url, namespaces=["/live"], auth=auth, transports=["websocket"], wait_timeout=timeout)
        self.wait(lambda: self.names().count("hello") >= 1, timeout, "hello")
        return self

    def disconnect(self) -> None:
        """Close the websocket without waiting for the client's reader thread
        (a graceful `Client.disconnect()` takes seconds); the server sees the close at once."""
        if self.sio.connected:
            ws = getattr(self.sio.eio, "ws", None)
            if ws is not None:
                ws.shutdown()  # no closing handshake: the server does not answer one
            self.sio.eio.disconnect(abort=True)
        wait_for(lambda: not self.sio.connected, 5, "the client to disconnect")

    def resume(self, after: int, timeout: float = 10.0) -> dict:
        return self.sio.call("resume", {"after": after}, namespace="/live", timeout=timeout)

    def names(self) -> list[str]:
        with self._cond:
            return [n for n, _ in self.received]

    def messages(self) -> list[dict]:
        """The `event`/`alert` messages received so far ({"name", "data"}), batches unpacked."""
        with self._cond:
            received = list(self.received)
        out: list[dict] = []
        for name, data in received:
            if name in ("event", "alert"):
                out.append({"name": name, "data": data})
            elif name == "batch":
                out.extend(data["messages"])
        return out

    def seqs(self) -> list[int]:
        return [m["data"]["seq"] for m in self.messages()]

    def titles(self) -> list[str]:
        return [m["data"].get("title") for m in self.messages()]

    def wait(self, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "messages") -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate()  # the condition's lock is re-entrant
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out after {timeout}s waiting for {what} on {self.url} "
                                         f"({self.unit}); received {[n for n, _ in self.received]}")
                self._cond.wait(min(remaining, 0.1))

    def wait_seqs(self, seqs: list[int], timeout: float = 10.0) -> None:
        want = set(seqs)
        self.wait(lambda: want <= set(self.seqs()), timeout, f"seqs {sorted(want)}")

    def __enter__(self) -> "LiveClient":
        return self.connect()

    def __exit__(self, *exc) -> None:
        self.disconnect()
