"""A refused /live connection carries its reason to the official JavaScript
client (node_modules/socket.io-client under Node), not a bare
"Connection refused by server"."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.helpers import ROOT

SCRIPT = """
const { io } = require(%(client)s);
const socket = io(%(url)s + "/live", {transports: ["websocket"], reconnection: false, auth: %(auth)s});
socket.on("connect", () => { console.log(JSON.stringify({connected: true})); process.exit(0); });
socket.on("connect_error", (err) => {
  console.log(JSON.stringify({message: err.message, data: err.data === undefined ? null : err.data}));
  process.exit(0);
});
setTimeout(() => { console.log(JSON.stringify({timeout: true})); process.exit(1); }, 10000);
"""


def _node() -> str:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.fail("Node.js is not installed (Debian's nodejs; `make test` installs npm, which brings it)",
                    pytrace=False)
    return node


def _connect(url: str, auth: dict) -> dict:
    client = str(ROOT / "node_modules" / "socket.io-client")
    script = SCRIPT % {"client": json.dumps(client), "url": json.dumps(url), "auth": json.dumps(auth)}
    out = subprocess.run([_node(), "-e", script], capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_refusals_carry_their_reason(live_server, sqlite_url):
    from dashboard.actions.screen_links import issue
    from dashboard.store.db import make_engine
    from datetime import datetime, timezone

    server = live_server("refusal", database_url=sqlite_url)
    assert _connect(server.url, {"unit": "bachuan"}) == {"connected": True}
    unknown = _connect(server.url, {"unit": "nowhere"})
    assert "unknown unit 'nowhere'" in unknown["message"], unknown

    engine = make_engine(sqlite_url)
    issue(engine, unit="bachuan", label="left", now=datetime.now(timezone.utc))
    engine.dispose()
    closed = _connect(server.url, {"unit": "bachuan"})
    assert closed["message"] != "Connection refused by server" and "screen" in closed["message"].lower(), closed
    wrong = _connect(server.url, {"unit": "bachuan", "screen": "not-a-token"})
    assert wrong["message"] != "Connection refused by server", wrong
