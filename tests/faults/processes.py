"""Parts the fault tests kill and bring back: a private redis-server on a fixed port."""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
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


PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/local/bin")


class PostgresProcess:
    """A PostgreSQL server of this test alone: initdb in a temporary directory, its own
    port and socket directory; never the machine's shared server. Run as the
    `postgres` user when the tests run as root (PostgreSQL refuses root)."""

    def __init__(self) -> None:
        import os

        bin_dir = next((d for d in PG_BIN_DIRS if Path(d, "initdb").exists() and Path(d, "pg_ctl").exists()), None)
        if bin_dir is None:
            pytest.fail(f"PostgreSQL server binaries not found in {PG_BIN_DIRS}", pytrace=False)
        self.bin = Path(bin_dir)
        # Its own directory under the system temp dir: pytest's are private to root, and the server runs as postgres.
        self.folder = Path(tempfile.mkdtemp(prefix="dashboard-faults-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/faults"
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.folder, "postgres", "postgres")

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(args)} failed: {done.stdout}{done.stderr}", pytrace=False)

    def init(self) -> "PostgresProcess":
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8")
        self.start()
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE faults")
        return self

    def start(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w",
                  "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self, mode: str = "fast") -> None:
        """mode "immediate": as if the server crashed (no clean shutdown)."""
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
