"""An app on the bundled policy (real deadlines) with a clock the test sets, users of
three levels, and helpers to post events and read case files."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

import pytest

from tests.fixtures import Clock, add_users, basic_auth, event_poster

PASSWORD = "case password 1"
USERS = {"district-leader": ("leader", "tongliang"), "bachuan-duty": ("duty", "bachuan"),
         "nancheng-duty": ("duty", "nancheng")}


def basic(name: str) -> dict[str, str]:
    return basic_auth(name, PASSWORD)


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"2026-{text}:00+08:00")


@pytest.fixture
def case_app(app_factory, db_url):
    app = app_factory(db_url, DASHBOARD_POLICY_FILE="", DASHBOARD_COALESCE_MS="0")
    app.services.clock = Clock(at("03-02T09:00"))
    add_users(app.services.engine, USERS, PASSWORD)
    return app


@pytest.fixture
def post(case_app) -> Callable[..., Any]:
    return event_poster(case_app)
