"""Shared helpers for the API, realtime, integration and browser tests.

Event builders (valid by default, so a test states only what it changes),
polling with a timeout instead of sleeping, and a thread-safe Socket.IO client
for tests that talk to a real server process.
"""
from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest

# Re-exported for the tests that import them from here (they live in tests/fixtures.py).
from tests.fixtures import (COMMUNITY, DISTRICT, GRID, GRID2, OTHER_GRID, OTHER_STREET,  # noqa: F401
                            QUIET_POLICY, SIBLING_COMMUNITY, SIBLING_GRID, STREET, Clock, Recorder)

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = ROOT / "test-output"  # git-ignored: screenshots and other artefacts

TOKEN = "test-ingest-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

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


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, message: str | Callable[[], str] = "condition",
             *, interval: float = 0.02) -> Any:
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


def unpack(received: list[tuple[str, Any]]) -> list[dict]:
    """event/alert messages in arrival order, batches unpacked."""
    out: list[dict] = []
    for name, data in received:
        if name in ("event", "alert"):
            out.append({"name": name, "data": data})
        elif name == "batch":
            out.extend(data["messages"])
    return out


class LiveClient:
    """A python-socketio client on `/live` of a real server that records every
    message (`event`, `alert`, `batch`, `hello`, `resync`) in arrival order."""

    NAMES = ("hello", "event", "alert", "batch", "resync")

    def __init__(self, url: str, unit: str, *, batch: bool = False, will_resume: bool = False) -> None:
        """will_resume: say so at connect (auth "resume": true), so live messages wait for the replay."""
        import socketio

        self.url, self.unit, self.batch, self.will_resume = url, unit, batch, will_resume
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
        auth: dict[str, Any] = {"unit": self.unit}
        if self.batch:
            auth["batch"] = True
        if self.will_resume:
            auth["resume"] = True
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
        return unpack(received)

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


# --- real server processes ------------------------------------------------------

class LiveServer:
    def __init__(self, name: str, port: int, proc: subprocess.Popen, log_path: Path, env: dict) -> None:
        self.name, self.port, self.proc, self.log_path, self.env = name, port, proc, log_path, env
        self.url = f"http://127.0.0.1:{port}"

    def wait_ready(self, timeout: float = 60.0) -> "LiveServer":
        import requests

        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"server {self.name} exited with {self.proc.returncode} before it was ready:\n"
                            f"{self.log_text()}", pytrace=False)
            try:
                if requests.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server {self.name} not ready within {timeout}s:\n{self.log_text()}", pytrace=False)
            time.sleep(0.1)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-20000:]
        except OSError as exc:
            return f"(no log: {exc})"

    def stop(self) -> None:
        stop_process(self.proc)

    def __repr__(self) -> str:
        return f"LiveServer({self.name}, {self.url})"


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class ServerLauncher:
    """Starts `python -m dashboard run` processes on free ports (gevent) and
    stops them all at the end. Calling it: see `live_server`."""

    def __init__(self, folder: Path, quiet_policy: str) -> None:
        self.folder, self.quiet_policy = folder, quiet_policy
        self.servers: list[LiveServer] = []

    def __call__(self, name: str = "server", env: dict | None = None, *, database_url: str | None = None,
                 redis_url: str | None = None, wait: bool = True) -> LiveServer:
        port = free_port()
        var = self.folder / name / "var"
        var.mkdir(parents=True, exist_ok=True)
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
        full_env.update({
            "DASHBOARD_VAR_DIR": str(var),
            "DASHBOARD_INGEST_TOKENS": TOKEN,
            "DASHBOARD_DEMO": "0",
            "DASHBOARD_SCHEDULER": "0",
            "DASHBOARD_POLICY_FILE": self.quiet_policy,
            "PYTHONUNBUFFERED": "1",
        })
        if database_url:
            full_env["DASHBOARD_DATABASE_URL"] = database_url
        if redis_url:
            full_env["DASHBOARD_REDIS_URL"] = redis_url
        full_env.update(env or {})
        log_path = self.folder / f"{name}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "dashboard", "run", "--host", "127.0.0.1",
                                     "--port", str(port), "--no-demo"],
                                    cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        server = LiveServer(name, port, proc, log_path, full_env)
        self.servers.append(server)
        return server.wait_ready() if wait else server

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()
