"""Resume in order on a real server process (gevent, websocket, Redis message
queue), for python-socketio clients on the plain, batch and held paths and for
the official socket.io-client under Node.

The race: messages committed before a client joined its room are still in the
fan-out when it joins, and reach the room before the client's `resume` is
served. To hold the fan-out deterministically, the events are committed by
this test process (like a worker: same database, announcing through Redis with
its own CoalescingAnnouncer) with that announcer `paused()` while the client
connects; a watcher connected to the same server shows when the fan-out has
reached it (same room, same emit), and only then does the client resume."""
from __future__ import annotations

import json
import shutil
import subprocess
import threading

import pytest
import requests

from dashboard.actions.ingest import do_ingest_events
from dashboard.bootstrap import init_database
from dashboard.domain.events import parse_batch
from dashboard.domain.policy import load_policy
from dashboard.realtime.queue_announcer import queue_announcer
from dashboard.services import Services
from dashboard.settings import Settings
from dashboard.store.db import load_tree, make_engine
from tests.helpers import AUTH, COMMUNITY, DISTRICT, GRID, GRID2, ROOT, LiveClient, incident, wait_for

NODE = shutil.which("node")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def setup(request, redis_url, module_live_server, tmp_path_factory, quiet_policy):
    """A server and, in this process, a writer on its database announcing through its Redis."""
    folder = tmp_path_factory.mktemp("order")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'order.db'}"
    else:
        url = request.getfixturevalue("pg_databases").create("order")
    settings = Settings.from_env({"DASHBOARD_DATABASE_URL": url, "DASHBOARD_VAR_DIR": str(folder)})
    init_database(settings)
    server = module_live_server(f"order-{request.param}", database_url=url, redis_url=redis_url)
    engine = make_engine(url)
    tree = load_tree(engine)
    svc = Services(settings=settings, engine=engine, tree=tree, policy=load_policy(quiet_policy),
                   announcer=queue_announcer(redis_url, lambda: tree, interval=0))
    yield server, svc
    engine.dispose()


def ingest(svc: Services, body: list[dict]) -> list[int]:
    events, problems = parse_batch(body)
    assert not problems
    return [r["seq"] for r in do_ingest_events(svc, events).results]


def post(server, body) -> list[int]:
    r = requests.post(server.url + "/api/v1/events", json=body, headers=AUTH, timeout=10)
    assert r.status_code == 202, r.text
    return [x["seq"] for x in r.json()["results"]]


class NodeClient:
    """socket.io-client 4.8 (node_modules) in a Node process: prints each message as a JSON line,
    resumes when told on stdin."""

    SCRIPT = """
const io = require(process.argv[1]);
const [url, unit] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + "\\n");
const socket = io(url + "/live", {auth: {unit}, transports: ["websocket"], reconnection: false});
for (const name of ["hello", "event", "alert", "batch", "resync"]) socket.on(name, (data) => out([name, data]));
socket.on("connect_error", (e) => out(["connect_error", String(e.message)]));
require("readline").createInterface({input: process.stdin}).on("line", (line) => {
  const [cmd, arg] = line.split(" ");
  if (cmd === "resume") socket.emit("resume", {after: Number(arg)}, (ack) => out(["ack", ack]));
  else { socket.close(); process.exit(0); }
});
"""

    def __init__(self, url: str, unit: str) -> None:
        self.received: list[tuple[str, object]] = []
        self.proc = subprocess.Popen([NODE, "-e", self.SCRIPT, str(ROOT / "node_modules" / "socket.io-client"),
                                      url, unit], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.received.append(tuple(json.loads(line)))

    def connect(self) -> "NodeClient":
        wait_for(lambda: any(n in ("hello", "connect_error") for n, _ in self.received), 15, "hello from Node")
        assert self.received[0][0] == "hello", self.received
        return self

    def resume(self, after: int) -> dict:
        self.proc.stdin.write(f"resume {after}\n")
        self.proc.stdin.flush()
        return wait_for(lambda: next((d for n, d in self.received if n == "ack"), None), 10, "the resume ack")

    def seqs(self) -> list[int]:
        return [d["seq"] for n, d in list(self.received) if n in ("event", "alert")]

    def wait_seqs(self, seqs: list[int]) -> None:
        wait_for(lambda: set(seqs) <= set(self.seqs()), 10, lambda: f"seqs {seqs}; got {self.seqs()}")

    def disconnect(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(10)


CLIENTS = {
    "plain": lambda url: LiveClient(url, COMMUNITY),
    "batch": lambda url: LiveClient(url, COMMUNITY, batch=True),
    "held": lambda url: LiveClient(url, COMMUNITY, will_resume=True),
    "node socket.io-client": lambda url: NodeClient(url, COMMUNITY),
}


@pytest.mark.parametrize("path", CLIENTS)
def test_resume_right_after_connect_is_in_order_though_the_fan_out_held_older_messages(setup, path):
    if path.startswith("node") and NODE is None:
        pytest.fail("Node.js is required for the socket.io-client check (/usr/bin/node)")
    server, svc = setup
    watcher = LiveClient(server.url, DISTRICT).connect()
    watcher.resume([d for n, d in watcher.received if n == "hello"][0]["head"])
    before = ingest(svc, [incident()])[-1]
    posted = ingest(svc, [incident(unit=GRID if i % 2 else GRID2) for i in range(14)])
    svc.announcer.drain()
    client = CLIENTS[path](server.url)
    try:
        with svc.announcer.paused():  # the fan-out still holds these six when the client joins
            posted += ingest(svc, [incident() for _ in range(6)])
            client.connect()
        svc.announcer.drain()
        watcher.wait_seqs(posted)  # the server has emitted them to the room the client is in
        ack = client.resume(before)
        assert ack["replayed"] == len(posted) and ack["head"] >= posted[-1]
        live = post(server, incident())
        client.wait_seqs(live)
        assert client.seqs() == posted + live
    finally:
        client.disconnect()
        watcher.disconnect()
