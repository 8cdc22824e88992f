"""A real server process for the interface tests: a fresh SQLite database with
the default units and one district admin (HTTP Basic), the test ingest token."""
from __future__ import annotations

import pytest

ADMIN = ("admin", "correct horse 1")


@pytest.fixture(scope="module")
def api_server(module_live_server, tmp_path_factory):
    from dashboard.bootstrap import init_database
    from dashboard.settings import Settings
    from dashboard.store.db import make_engine
    from dashboard.actions.users import add_user

    folder = tmp_path_factory.mktemp("interface-db")
    url = f"sqlite:///{folder / 'db.sqlite'}"
    init_database(Settings.from_env({"DASHBOARD_DATABASE_URL": url, "DASHBOARD_VAR_DIR": str(folder)}))
    engine = make_engine(url)
    add_user(engine, name=ADMIN[0], password=ADMIN[1], role="admin", unit="tongliang")
    engine.dispose()
    return module_live_server("interface", database_url=url)
