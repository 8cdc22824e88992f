"""Shared helpers for the benchmarks: start/stop a fresh server pinned to a
core, a private Redis, fresh PostgreSQL databases, read process CPU time and
memory from /proc, percentiles, event bodies.

Only ever talks to 127.0.0.1.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# The tree whose server is measured (default: this one); BENCH_TREE=/path/to/copy measures a copy.
SERVER_TREE = Path(os.environ.get("BENCH_TREE") or ROOT)
OUT = BENCH / "out"
HOST = "127.0.0.1"
TOKEN = "bench-token"
DISTRICT = "tongliang"
# Fallback grids; grids_of() reads the real list from GET /api/v1/units.
GRIDS = ["bachuan-zhengjie-g01"]
CATEGORIES = ["property_fee", "illegal_construction", "garage_digging", "green_space", "property_service",
              "neighbourhood_dispute", "public_order", "sanitation", "parking", "collective_petition",
              "safety_hazard"]
CLK_TCK = os.sysconf("SC_CLK_TCK")
SERVER_CORE = "0"
LOAD_CORE = "1"


def python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def pin_self(core: str = LOAD_CORE) -> None:
    """Pin this (load-generating) process to the load core (or to the cores "0,1")."""
    try:
        os.sched_setaffinity(0, {int(c) for c in core.split(",")})
    except (AttributeError, OSError):
        pass


def tree_version() -> str:
    """Which code was measured: the tree, its commit, and whether it had uncommitted changes (read-only git)."""
    label = os.environ.get("BENCH_TREE_LABEL")
    if label:
        return label
    try:
        rev = subprocess.run(["git", "-C", str(SERVER_TREE), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(SERVER_TREE), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev, dirty = "", ""
    return f"{SERVER_TREE} @ {rev or 'unknown commit'}{' + uncommitted changes' if dirty else ''}"


NICE = int(os.environ.get("BENCH_NICE", "0"))


def set_nice(value: int | None = None) -> None:
    """Run at this niceness (BENCH_NICE; negative needs root): on a shared machine a
    negative value keeps other people's jobs from taking the pinned cores."""
    value = NICE if value is None else value
    if value:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, value)
            # With scheduler autogroups (one per session), niceness counts only inside the
            # group: give the group itself the same weight.
            if os.path.exists("/proc/self/autogroup"):
                with open("/proc/self/autogroup", "w") as f:
                    f.write(str(value))
        except OSError as exc:
            print(f"cannot set niceness {value}: {exc}", file=sys.stderr)


def die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM when the bench process dies (Linux),
    and runs at the bench's niceness."""
    set_nice()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def exit_on_sigterm() -> None:
    """SIGTERM (e.g. from `timeout`) unwinds normally, so servers are stopped."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (its threads included), in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0


def rss_kib(pid: int) -> int:
    """Resident set size of one process (VmRSS from /proc/PID/status), KiB."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def runqueue_wait(pid: int) -> float:
    """Seconds this process (all its threads' main one) spent runnable but waiting for a CPU."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def core_times() -> dict[int, tuple[int, int]]:
    """Per core: (busy, total) jiffies from /proc/stat."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                name, *vals = line.split()
                v = [int(x) for x in vals]
                idle = v[3] + v[4]
                out[int(name[3:])] = (sum(v[:8]) - idle, sum(v[:8]))
    return out


def core_busy(before: dict, after: dict) -> dict[int, float]:
    """Percent busy per core between two core_times() readings."""
    return {c: 100 * (after[c][0] - before[c][0]) / max(after[c][1] - before[c][1], 1) for c in after if c in before}


def wait_quiet(threshold: float = 15.0, max_wait: float = 60.0, window: float = 1.0) -> float:
    """The machine is shared: wait (up to max_wait s) until every core is at most
    `threshold`% busy over `window` s. Returns the last busiest-core figure."""
    deadline = time.monotonic() + max_wait
    busiest = 100.0
    while time.monotonic() < deadline:
        t0 = core_times()
        time.sleep(window)
        busiest = max(core_busy(t0, core_times()).values())
        if busiest <= threshold:
            break
    return busiest


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def units_of(url: str) -> dict[str, list[str]]:
    """Unit codes of the server's hierarchy by level (district, street, community, grid)."""
    with urllib.request.urlopen(f"{url}/api/v1/units", timeout=10) as r:
        roots = json.loads(r.read())
    out: dict[str, list[str]] = {}

    def walk(node: dict) -> None:
        out.setdefault(node.get("level", ""), []).append(node["code"])
        for child in node.get("children", ()):
            walk(child)

    for root in roots:
        walk(root)
    return out


def grids_of(url: str) -> list[str]:
    """Every grid-level unit code of the server's hierarchy."""
    return units_of(url).get("grid") or GRIDS


def event_body(run: str, i: int, *, sent_at: float | None = None, grids: list[str] | None = None) -> dict:
    """A fresh `reported` incident (unique id and ref) per CONTRACT "Ingest API",
    spread over the grids and categories, occurring now."""
    grids = grids or GRIDS
    t = time.time() if sent_at is None else sent_at
    return {
        "id": f"{run}-{i}", "source": "bench", "kind": "incident", "type": "reported", "ref": f"{run}-r{i}",
        "unit": grids[(i * 7) % len(grids)], "category": CATEGORIES[i % len(CATEGORIES)],
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t)),
        "priority": 1 + i % 4, "title": f"bench event {i}",
        "attributes": {"sent_at": t},
    }


def warm_up(base_url: str, run: str, count: int = 3, attempts: int = 5) -> None:
    """A few events before measuring: first request, lazy announcer start, caches."""
    for i in range(count):
        for attempt in range(attempts):
            try:
                post_json(f"{base_url}/api/v1/events", event_body(run, i))
                break
            except OSError:
                if attempt == attempts - 1:
                    raise
                time.sleep(1)


def post_json(url: str, body: object, token: str = TOKEN, timeout: float = 30) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, {"error": exc.read()[:300].decode(errors="replace")}


INGEST_HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


async def post_events(session, url: str, body: str, status: dict[int, int]) -> int:
    """POST one ingest request (JSON text) on an aiohttp session: counts its
    status in `status` (-1: no answer) and returns how many events it stored."""
    import aiohttp

    try:
        async with session.post(url, data=body, headers=INGEST_HEADERS) as r:
            payload = await r.read()
            status[r.status] = status.get(r.status, 0) + 1
            if r.status == 202:
                return json.loads(payload)["accepted"]
    except aiohttp.ClientError:
        status[-1] = status.get(-1, 0) + 1
    return 0


PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def pg_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except Exception as exc:
        print(f"PostgreSQL not reachable ({exc.__class__.__name__}: {str(exc)[:100]}); SQLite only",
              file=sys.stderr)
        return False


def pg_create() -> tuple[str, str]:
    """A fresh database on the machine's PostgreSQL: (name, URL)."""
    import psycopg

    name = f"dash_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, f"postgresql://postgres@127.0.0.1:5432/{name}"


def pg_drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class ChildProcess:
    """A process the bench starts on its own port, with its own temp directory."""

    port: int = 0
    proc: subprocess.Popen | None = None
    tmp: str = ""
    log_path: Path | None = None
    stop_signal = signal.SIGTERM

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def wait_ready(self, answers, timeout: float, interval: float, what: str) -> None:
        """Poll `answers()` until it is true; raise if the process exits or is not ready in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{what} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if answers():
                    return
            except OSError:
                pass
            time.sleep(interval)
        self.stop()
        raise RuntimeError(f"{what} not ready after {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        shutil.rmtree(self.tmp, ignore_errors=True)


@dataclass
class PrivateRedis(ChildProcess):
    """A private redis-server (no persistence) on a free port, pinned to `cores`,
    so the machine's own Redis is never touched (as tests/conftest.py does)."""

    cores: str = LOAD_CORE

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self, timeout: float = 15) -> "PrivateRedis":
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (Debian's redis-server package)")
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="dash-bench-redis-")
        self.log_path = Path(self.tmp) / "redis.log"
        self.proc = subprocess.Popen(["taskset", "-c", self.cores, binary, "--port", str(self.port), "--save", "",
                                      "--appendonly", "no", "--bind", HOST, "--dir", self.tmp],
                                     stdout=open(self.log_path, "wb"), stderr=subprocess.STDOUT,
                                     start_new_session=True, preexec_fn=die_with_parent)

        def pong() -> bool:
            with socket.create_connection((HOST, self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")

        self.wait_ready(pong, timeout, 0.05, "redis-server")
        return self


def server_command(kind: str) -> list[str] | None:
    """The server a bench runs: `run` (None: python -m dashboard run, Server's default) or
    `gunicorn` (-k gevent -w 1, as docs/DEPLOYMENT.md runs it; {port} filled in by Server)."""
    if kind == "gunicorn":
        return [python(), "-m", "gunicorn", "-k", "gevent", "-w", "1", "--worker-connections", "4000",
                "-b", f"{HOST}:{{port}}", "--graceful-timeout", "2", "--log-level", "warning", "dashboard.wsgi:app"]
    return None


@dataclass
class Server(ChildProcess):
    """A fresh `python -m dashboard run` on its own port and temp SQLite,
    pinned to the server core with taskset."""

    env_extra: dict = field(default_factory=dict)
    database_url: str | None = None
    label: str = "server"
    core: str = SERVER_CORE
    command: list[str] | None = None   # default: python -m dashboard run --port P --no-demo
    tree: Path | None = None            # whose code runs (default SERVER_TREE)
    stop_signal = signal.SIGINT

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 90) -> "Server":
        self.port = self.port or free_port()
        self.tmp = tempfile.mkdtemp(prefix="dash-bench-")
        env = dict(os.environ)
        env.update({
            "DASHBOARD_DATABASE_URL": self.database_url or f"sqlite:///{self.tmp}/bench.db",
            "DASHBOARD_INGEST_TOKENS": TOKEN,
            "DASHBOARD_VAR_DIR": f"{self.tmp}/var",
            "DASHBOARD_HOST": HOST,
            "DASHBOARD_PORT": str(self.port),
            "DASHBOARD_DEMO": "0",
            "PYTHONUNBUFFERED": "1",
        })
        env.pop("DASHBOARD_REDIS_URL", None)
        env.update({k: str(v) for k, v in self.env_extra.items()})
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "logs").mkdir(exist_ok=True)
        self.log_path = OUT / "logs" / f"{self.label}.log"
        cmd = self.command or [python(), "-m", "dashboard", "run", "--port", str(self.port), "--no-demo"]
        cmd = [c.replace("{port}", str(self.port)) for c in cmd]
        log = open(self.log_path, "w")
        # taskset execs the command: the pid we hold is the server's own pid.
        self.proc = subprocess.Popen(["taskset", "-c", self.core, *cmd], cwd=self.tree or SERVER_TREE, env=env, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent)

        def ready() -> bool:
            with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as r:
                return r.status == 200

        self.wait_ready(ready, timeout, 0.3, "server")
        return self

    def worker_pid(self) -> int:
        """The process that serves (for gunicorn: the single worker, not the master)."""
        pid = self.pid
        try:
            kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            kids = []
        return int(kids[0]) if kids else pid

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def md_table(headers: list[str], rows: list[list[object]]) -> str:
    def cell(v: object) -> str:
        if isinstance(v, float):
            return "—" if v != v else f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}"
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)
