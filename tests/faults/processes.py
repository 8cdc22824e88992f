"""Parts the fault tests kill and bring back: a private redis-server on a fixed port."""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT, LiveServer, free_port, wait_for


class RedisProcess:
    """A redis-server of this test alone (no persistence), killable and restartable on the same port."""

    def __init__(self, folder: Path) -> None:
        self.binary = shutil.which("redis-server")
        if not self.binary:
            pytest.fail("redis-server is not installed (`make test` installs it)", pytrace=False)
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "RedisProcess":
        log = open(self.folder / f"redis-{self.port}.log", "ab")
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no"],
                                     cwd=self.folder, stdout=log, stderr=subprocess.STDOUT)
        wait_for(self.answers, 10, f"redis-server on {self.port} to answer PING")
        return self

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        """SIGKILL: no goodbye to anybody connected."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(5)

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=2)

    def subscribers(self, channel: str = "dashboard") -> int:
        with self.client() as r:
            return int(dict(r.pubsub_numsub(channel)).get(channel.encode(), 0))

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()


def restart_after(redis_process: RedisProcess, seconds: float) -> float:
    """Wait, start again on the same port; returns the monotonic time it answered."""
    time.sleep(seconds)
    redis_process.start()
    return time.monotonic()


def kill_and_restart(server: LiveServer, down_s: float) -> float:
    """SIGKILL the server, wait, start it again on the same port with the same
    environment (its output appended to the same log); returns when it answered /readyz."""
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(10)
    time.sleep(down_s)
    with open(server.log_path, "ab") as log:
        server.proc = subprocess.Popen([sys.executable, "-m", "dashboard", "run", "--host", "127.0.0.1",
                                        "--port", str(server.port), "--no-demo"],
                                       cwd=ROOT, env=server.env, stdout=log, stderr=subprocess.STDOUT)
    server.wait_ready()
    return time.monotonic()
