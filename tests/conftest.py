"""Fixtures for the live spine: a private Redis, PostgreSQL databases, apps
in-process (Flask test client, Socket.IO test client), real server
processes, and a headless Chromium.

Nothing here touches the machine's shared services: Redis is a private
`redis-server` on a free port, PostgreSQL databases are created with unique
names and dropped at the end.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.helpers import OUTPUT_DIR, QUIET_POLICY, ROOT, TOKEN, free_port

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


# --- reports: attach server logs to failing tests ---------------------------

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for server in getattr(item, "_live_servers", []):
            report.sections.append((f"server log {server.name} ({server.url})", server.log_text()))


# --- Redis -------------------------------------------------------------------

@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A private redis-server (no persistence) for this test session, never the machine's own."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: the fan-out tests need a real Redis. "
                    "Install Debian's redis-server (`make test` does so when it is missing).", pytrace=False)
    workdir = tmp_path_factory.mktemp("redis")
    port = free_port()
    log = open(workdir / "redis.log", "wb")
    proc = subprocess.Popen([binary, "--port", str(port), "--save", "", "--appendonly", "no",
                             "--bind", "127.0.0.1", "--dir", str(workdir)],
                            stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                pytest.fail(f"redis-server exited with {proc.returncode}: "
                            f"{(workdir / 'redis.log').read_text(errors='replace')}", pytrace=False)
            try:
                if client.ping():
                    break
            except redis.exceptions.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("redis-server did not answer PING within 15 s", pytrace=False)
            time.sleep(0.05)
        client.close()
        yield url
    finally:
        _stop(proc)
        log.close()


# --- PostgreSQL ----------------------------------------------------------------

def _pg_connect(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=3)


class PostgresDatabases:
    """Creates uniquely named databases on the test server; drops them all at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []
        self._base = admin_url.rsplit("/", 1)[0]

    def create(self, label: str = "db") -> str:
        name = f"dash_test_{label}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with _pg_connect(self.admin_url) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return f"{self._base}/{name}"

    def drop_all(self) -> None:
        with _pg_connect(self.admin_url) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PostgresDatabases]:
    try:
        with _pg_connect(PG_ADMIN_URL) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # psycopg.OperationalError and friends
        pytest.skip(f"PostgreSQL is unreachable at {PG_ADMIN_URL} ({str(exc).strip()[:200]}). "
                    "The PostgreSQL variants need a server where that user may CREATE DATABASE: "
                    "run one on 127.0.0.1:5432 with trust auth for user postgres and a database `test`, "
                    "or set TEST_POSTGRES_URL=postgresql://USER@HOST:PORT/DB.")
    databases = PostgresDatabases(PG_ADMIN_URL)
    try:
        yield databases
    finally:
        databases.drop_all()


@pytest.fixture(scope="session")
def pg_url(pg_databases: PostgresDatabases) -> str:
    """One fresh PostgreSQL database for the session (dropped at the end)."""
    return pg_databases.create("session")


def _truncate_postgres(url: str) -> None:
    """Empty every table but the unit tree; the seq counter starts again at 0."""
    with _pg_connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'unit'")]
        if tables:
            conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY")


@pytest.fixture(scope="session")
def _seeded_sqlite(tmp_path_factory) -> Path:
    """A SQLite file with the schema and the default units, copied by each test (faster than seeding)."""
    from dashboard.bootstrap import init_database
    from dashboard.settings import Settings

    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "dashboard.db"
    init_database(Settings.from_env({"DASHBOARD_DATABASE_URL": f"sqlite:///{path}",
                                     "DASHBOARD_VAR_DIR": str(folder)}))
    return path


def _fresh_sqlite(template: Path, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        source = template.with_name(template.name + suffix)
        if source.exists():
            shutil.copyfile(source, folder / ("dashboard.db" + suffix))
    return f"sqlite:///{folder / 'dashboard.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, _seeded_sqlite) -> str:
    """A seeded database with nothing stored yet: a fresh SQLite file, or the
    session's PostgreSQL database emptied (units kept) before the test."""
    if request.param == "sqlite":
        return _fresh_sqlite(_seeded_sqlite, tmp_path / "db")
    url = request.getfixturevalue("pg_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path, _seeded_sqlite) -> str:
    """A seeded SQLite file of this test alone."""
    return _fresh_sqlite(_seeded_sqlite, tmp_path / "db")


# --- apps in this process --------------------------------------------------------

@pytest.fixture(scope="session")
def quiet_policy(tmp_path_factory) -> str:
    """A policy file under which no deadline falls due and no surge fires (helpers.QUIET_POLICY)."""
    path = tmp_path_factory.mktemp("policy") / "quiet.yaml"
    path.write_text(QUIET_POLICY)
    return str(path)


@pytest.fixture
def app_factory(tmp_path, quiet_policy) -> Iterator[Callable[..., object]]:
    """`make(database_url, **env)` → a seeded `App` in threading mode.

    `env` adds DASHBOARD_* variables (e.g. DASHBOARD_COALESCE_MS="0"); the
    quiet policy is the default (DASHBOARD_POLICY_FILE="" for the bundled one)."""
    from dashboard.app import create_app
    from dashboard.bootstrap import init_database
    from dashboard.settings import Settings

    apps = []

    def make(database_url: str, **env: str):
        values = {
            "DASHBOARD_DATABASE_URL": database_url,
            "DASHBOARD_VAR_DIR": str(tmp_path / "var"),
            "DASHBOARD_INGEST_TOKENS": f"{TOKEN},second-token",
            "DASHBOARD_DEMO": "0",
            "DASHBOARD_SCHEDULER": "0",
            "DASHBOARD_POLICY_FILE": quiet_policy,
        }
        values.update(env)
        settings = Settings.from_env(values)
        init_database(settings)
        app = create_app(settings, async_mode="threading")
        apps.append(app)
        return app

    yield make
    for app in apps:
        try:
            app.announcer.drain(2)
        finally:
            app.services.engine.dispose()


@pytest.fixture
def app(app_factory, db_url):
    """A seeded app on each database of `db_url`."""
    return app_factory(db_url)


@pytest.fixture
def client(app):
    return app.flask.test_client()


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
        _stop(self.proc)

    def __repr__(self) -> str:
        return f"LiveServer({self.name}, {self.url})"


def _stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture
def live_server(request, tmp_path, quiet_policy) -> Iterator[Callable[..., LiveServer]]:
    """`start(name="a", env={...}, database_url=None, redis_url=None)` → a running
    `python -m dashboard run` on a free port (gevent), ready (GET /readyz → 200).

    Each server gets its own var dir (secret key, default SQLite file) under
    the test's tmp dir; its output goes to `<name>.log` there and is attached to
    the report when the test fails. Servers sharing one database: seed it
    first (`init_database`) to start them side by side. By default the quiet policy is in force
    and the deadline sweep is off (DASHBOARD_SCHEDULER=0); `env` overrides."""
    servers: list[LiveServer] = []
    request.node._live_servers = servers

    def start(name: str = "server", env: dict | None = None, *, database_url: str | None = None,
              redis_url: str | None = None, wait: bool = True) -> LiveServer:
        """wait=False: return at once (call `.wait_ready()`), to start several side by side."""
        port = free_port()
        var = tmp_path / name / "var"
        var.mkdir(parents=True, exist_ok=True)
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
        full_env.update({
            "DASHBOARD_VAR_DIR": str(var),
            "DASHBOARD_INGEST_TOKENS": TOKEN,
            "DASHBOARD_DEMO": "0",
            "DASHBOARD_SCHEDULER": "0",
            "DASHBOARD_POLICY_FILE": quiet_policy,
            "PYTHONUNBUFFERED": "1",
        })
        if database_url:
            full_env["DASHBOARD_DATABASE_URL"] = database_url
        if redis_url:
            full_env["DASHBOARD_REDIS_URL"] = redis_url
        full_env.update(env or {})
        log_path = tmp_path / f"{name}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "dashboard", "run", "--host", "127.0.0.1",
                                     "--port", str(port), "--no-demo"],
                                    cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        server = LiveServer(name, port, proc, log_path, full_env)
        servers.append(server)
        return server.wait_ready() if wait else server

    yield start
    for server in servers:
        server.stop()


# --- browser -------------------------------------------------------------------------

@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (it cannot download its own here)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (`make test` does so), "
                    "or set TEST_CHROMIUM to a Chromium binary.", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10000)
    try:
        yield page
    finally:
        context.close()
