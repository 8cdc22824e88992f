"""Fixtures of the wall tests (helpers in tests/e2e/walls.py): a policy under which
some deadlines fall due within seconds, the screenshot folder, and a server that
can be restarted on the same port (a wall reconnects to the address it knows)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.e2e.walls import SHOTS, WALL_POLICY
from tests.helpers import ROOT, TOKEN, LiveServer


@pytest.fixture(scope="session")
def wall_policy(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("wall-policy") / "policy.yaml"
    path.write_text(WALL_POLICY, encoding="utf-8")
    return str(path)


@pytest.fixture
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.fixture
def server_on_port(request, tmp_path, quiet_policy) -> Iterator[Callable[..., LiveServer]]:
    """`start(name, port, env=..., database_url=...)`: like `live_server`, on a chosen port."""
    servers: list[LiveServer] = []
    request.node._live_servers = servers

    def start(name: str, port: int, *, env: dict | None = None, database_url: str) -> LiveServer:
        var = tmp_path / name / "var"
        var.mkdir(parents=True, exist_ok=True)
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
        full_env.update({"DASHBOARD_VAR_DIR": str(var), "DASHBOARD_INGEST_TOKENS": TOKEN, "DASHBOARD_DEMO": "0",
                         "DASHBOARD_SCHEDULER": "0", "DASHBOARD_POLICY_FILE": quiet_policy,
                         "DASHBOARD_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1", **(env or {})})
        log_path = tmp_path / f"{name}.log"
        with open(log_path, "ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "dashboard", "run", "--host", "127.0.0.1",
                                     "--port", str(port), "--no-demo"],
                                    cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        server = LiveServer(name, port, proc, log_path, full_env)
        servers.append(server)
        return server.wait_ready()

    yield start
    for server in servers:
        server.stop()
