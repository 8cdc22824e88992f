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
import subprocess
import time
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.fixtures import QUIET_POLICY, _seeded_auth_db, api_server, auth_settings, policy_file  # noqa: F401  (fixtures of several folders)
from tests.helpers import OUTPUT_DIR, TOKEN, LiveServer, ServerLauncher, stop_process, free_port

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


# --- reports: attach server logs to failing tests ---------------------------

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for server in _servers_of(item):
            report.sections.append((f"server log {server.name} ({server.url})", server.log_text()))


def _servers_of(item) -> list:
    """The live servers a test used: started through its `live_server`, or
    handed to it by a wider-scoped fixture (a LiveServer, a tuple of them, a launcher)."""
    found: list = list(getattr(item, "_live_servers", []))
    for value in getattr(item, "funcargs", {}).values():
        candidates = value if isinstance(value, (tuple, list)) else [value]
        for v in candidates:
            if isinstance(v, LiveServer):
                found.append(v)
            elif isinstance(v, ServerLauncher):
                found.extend(v.servers)
    unique_servers: list = []
    for server in found:
        if server not in unique_servers:
            unique_servers.append(server)
    return unique_servers


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
        stop_process(proc)
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
        # A failure, not a skip: a missing database must not pass as a green run.
        pytest.fail(f"PostgreSQL is unreachable at {PG_ADMIN_URL} ({str(exc).strip()[:200]}). "
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


# Apps shared by the tests of a module (creating an app per test is most of a
# small test's time): one per database, emptied before each test.

@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db_url(request, tmp_path_factory, _seeded_sqlite) -> str:
    if request.param == "sqlite":
        return _fresh_sqlite(_seeded_sqlite, tmp_path_factory.mktemp("module-db"))
    return request.getfixturevalue("pg_databases").create("module")


@pytest.fixture(scope="module")
def module_app_env() -> dict[str, str]:
    """DASHBOARD_* variables of `module_app`; override in a test module."""
    return {}


@pytest.fixture(scope="module")
def module_app(module_db_url, module_app_env, tmp_path_factory, quiet_policy):
    from dashboard.app import create_app
    from dashboard.bootstrap import init_database
    from dashboard.settings import Settings

    values = {
        "DASHBOARD_DATABASE_URL": module_db_url,
        "DASHBOARD_VAR_DIR": str(tmp_path_factory.mktemp("module-var")),
        "DASHBOARD_INGEST_TOKENS": f"{TOKEN},second-token",
        "DASHBOARD_DEMO": "0",
        "DASHBOARD_SCHEDULER": "0",
        "DASHBOARD_POLICY_FILE": quiet_policy,
        **module_app_env,
    }
    settings = Settings.from_env(values)
    init_database(settings)
    app = create_app(settings, async_mode="threading")
    try:
        yield app
    finally:
        app.announcer.drain(2)
        app.services.engine.dispose()


def _empty_database(app) -> None:
    """Every table emptied but the unit tree; the seq counter back at 0 (as a fresh database)."""
    from sqlalchemy import MetaData, text

    from dashboard.bootstrap import init_database

    engine = app.services.engine
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name != "unit":
                conn.execute(table.delete())
        conn.execute(text("DELETE FROM counter"))
    init_database(app.services.settings)


@pytest.fixture
def fresh_app(module_app):
    """`module_app` with nothing stored yet."""
    module_app.announcer.drain()
    _empty_database(module_app)
    return module_app


@pytest.fixture
def client(app):
    return app.flask.test_client()


# --- real server processes ------------------------------------------------------

@pytest.fixture
def live_server(request, tmp_path, quiet_policy) -> Iterator[ServerLauncher]:
    """`start(name="a", env={...}, database_url=None, redis_url=None, wait=True)` → a
    running `python -m dashboard run` on a free port (gevent), ready (GET /readyz → 200);
    wait=False returns at once (then `.wait_ready()`), to start several side by side.

    Each server gets its own var dir (secret key, default SQLite file) under
    the test's tmp dir; its output goes to `<name>.log` there and is attached to
    the report when the test fails. Servers sharing one database: seed it
    first (`init_database`) to start them side by side. By default the quiet
    policy is in force and the deadline sweep is off (DASHBOARD_SCHEDULER=0);
    `env` overrides. Stopped at the end of the test."""
    launcher = ServerLauncher(tmp_path, quiet_policy)
    request.node._live_servers = launcher.servers
    yield launcher
    launcher.stop_all()


@pytest.fixture(scope="module")
def module_live_server(tmp_path_factory, quiet_policy) -> Iterator[ServerLauncher]:
    """`live_server` for servers that several tests of a module share (stopped after the module).
    Tests that use them must not assume an empty database: they compare with what they posted."""
    launcher = ServerLauncher(tmp_path_factory.mktemp("servers"), quiet_policy)
    yield launcher
    launcher.stop_all()


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
    # An English browser in China: the walls must speak Chinese anyway (CONTRACT "Pages").
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(10000)
    try:
        yield page
    finally:
        context.close()
