"""Fixtures of the in-process /live tests: one app per database and module, emptied per test."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def module_app_env():
    # No coalescing pause: every flush at once, so the tests wait for nothing.
    return {"DASHBOARD_COALESCE_MS": "0"}


@pytest.fixture
def app(fresh_app):
    """One app per database for the module, emptied before each test."""
    return fresh_app


@pytest.fixture
def client(app):
    return app.flask.test_client()
