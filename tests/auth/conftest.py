"""Fixtures for the login, session, CSRF and user tests: a seeded SQLite app
with `init_auth` applied, three users at three levels, and test-only routes."""
from __future__ import annotations

import shutil
from typing import Iterator

import pytest
from flask import jsonify

from dashboard.actions.users import add_user
from dashboard.auth import init_auth
from dashboard.auth.basic import api_auth_error, api_user
from tests.auth.security_probe import LENIENT, Seeded, seed

DISTRICT = "tongliang"
STREET = "bachuan"
COMMUNITY = "bachuan-zhengjie"
GRID = "bachuan-zhengjie-g01"
SIBLING_COMMUNITY = "bachuan-jinlong"
OTHER_STREET = "nancheng"

PASSWORD = "correct horse 1"
USERS = {
    "社区值班员": ("duty", COMMUNITY),
    "street-staff": ("staff", STREET),
    "district-admin": ("admin", DISTRICT),
}


def _settings(tmp_dir):
    from dashboard.settings import Settings

    return Settings.from_env({
        "DASHBOARD_DATABASE_URL": f"sqlite:///{tmp_dir / 'db.sqlite'}",
        "DASHBOARD_VAR_DIR": str(tmp_dir),
        "DASHBOARD_INGEST_TOKENS": "t",
        "DASHBOARD_DEMO": "0",
        "DASHBOARD_SCHEDULER": "0",
    })


@pytest.fixture(scope="session")
def _seeded_db(tmp_path_factory):
    """The default hierarchy plus USERS, built once (scrypt is slow on purpose); each test gets a copy."""
    from dashboard.bootstrap import init_database
    from dashboard.store.db import make_engine

    template = tmp_path_factory.mktemp("auth-template")
    settings = _settings(template)
    init_database(settings)
    engine = make_engine(settings.database_url)
    try:
        for name, (role, unit) in USERS.items():
            add_user(engine, name=name, password=PASSWORD, role=role, unit=unit)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return template / "db.sqlite"


@pytest.fixture
def auth_settings(_seeded_db, tmp_path):
    """Settings of a fresh copy of the seeded database (units and USERS), as `init_database` leaves it."""
    shutil.copyfile(_seeded_db, tmp_path / "db.sqlite")
    return _settings(tmp_path)


@pytest.fixture
def auth_app(auth_settings) -> Iterator[object]:
    from dashboard.app import create_app

    app = create_app(auth_settings, async_mode="threading")
    init_auth(app.flask)  # until create_app does it; a second call is a no-op

    @app.flask.post("/api/v1/_test/act")
    def _test_act():
        user = api_user()
        if user is None:
            return jsonify({"error": api_auth_error()}), 401
        return jsonify({"user": user.name})

    @app.flask.post("/_test/form")
    def _test_form():
        return "ok"

    try:
        yield app
    finally:
        app.announcer.drain(2)
        app.services.engine.dispose()


@pytest.fixture
def web(auth_app):
    return auth_app.flask.test_client()


def csrf_from_page(client, path: str = "/login") -> str:
    """The form token of the login page (what a browser would post back)."""
    import re

    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, html
    return match.group(1)


def log_in(client, name: str = "社区值班员", password: str = PASSWORD, next_path: str | None = None):
    token = csrf_from_page(client)
    data = {"name": name, "password": password, "csrf_token": token}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/login", data=data)


# --- the attack tests (test_access.py): a server process on the seeded database ---

@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Seeded:
    return seed(tmp_path_factory.mktemp("security-db"))


@pytest.fixture(scope="module")
def server(module_live_server, seeded):
    return module_live_server("security", env=LENIENT, database_url=seeded.url)
