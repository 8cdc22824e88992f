"""Fixtures of the fault tests: a private Redis that a test may kill, two
server processes on one PostgreSQL database and that Redis."""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.faults.processes import RedisProcess
from tests.helpers import ServerLauncher, wait_for


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisProcess]:
    process = RedisProcess(tmp_path).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def shared_pg(pg_databases, tmp_path) -> str:
    """A fresh PostgreSQL database, seeded so that several servers can start side by side."""
    from dashboard.bootstrap import init_database
    from dashboard.settings import Settings

    url = pg_databases.create("faults")
    init_database(Settings.from_env({"DASHBOARD_DATABASE_URL": url, "DASHBOARD_VAR_DIR": str(tmp_path)}))
    return url


@pytest.fixture
def pair_on_redis(live_server: ServerLauncher, shared_pg, own_redis):
    """Servers A and B on one database and `own_redis`, both subscribed."""
    a = live_server("a", database_url=shared_pg, redis_url=own_redis.url, wait=False)
    b = live_server("b", database_url=shared_pg, redis_url=own_redis.url, wait=False)
    return a.wait_ready(), b.wait_ready()


def wait_subscribed(redis_process: RedisProcess, n: int, timeout: float = 15) -> None:
    wait_for(lambda: redis_process.subscribers() >= n, timeout, f"{n} server(s) subscribed")


@pytest.fixture
def tall_page(browser):
    """A wall tall enough that every open item of the test is on screen."""
    context = browser.new_context(viewport={"width": 1920, "height": 3000}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
