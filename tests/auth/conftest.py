"""Fixtures for the login, session, CSRF and user tests: a seeded SQLite app
with `init_auth` applied, three users at three levels, and test-only routes."""
from __future__ import annotations

from typing import Iterator

import pytest
from flask import jsonify

from dashboard.auth import init_auth
from dashboard.auth.basic import api_auth_error, api_user
from tests.auth.security_probe import LENIENT, Seeded, seed
from tests.fixtures import AUTH_PASSWORD, AUTH_USERS

DISTRICT = "tongliang"
STREET = "bachuan"
COMMUNITY = "bachuan-zhengjie"
GRID = "bachuan-zhengjie-g01"
SIBLING_COMMUNITY = "bachuan-jinlong"
OTHER_STREET = "nancheng"

# The users of the seeded database (tests/fixtures.py `auth_settings`); the auth tests import them from here.
PASSWORD, USERS = AUTH_PASSWORD, AUTH_USERS


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
