"""An app on the bundled policy (real deadlines) with a clock the test sets, users of
three levels, and helpers to post events and read case files."""
from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, Callable

import pytest

from tests.helpers import AUTH, Clock

PASSWORD = "case password 1"
USERS = {"district-leader": ("leader", "tongliang"), "bachuan-duty": ("duty", "bachuan"),
         "nancheng-duty": ("duty", "nancheng")}


def basic(name: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{PASSWORD}".encode()).decode()}


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"2026-{text}:00+08:00")


@pytest.fixture
def case_app(app_factory, db_url):
    from dashboard.actions.users import add_user

    app = app_factory(db_url, DASHBOARD_POLICY_FILE="", DASHBOARD_COALESCE_MS="0")
    app.services.clock = Clock(at("03-02T09:00"))
    for name, (role, unit) in USERS.items():
        add_user(app.services.engine, name=name, password=PASSWORD, role=role, unit=unit)
    return app


@pytest.fixture
def post(case_app) -> Callable[[list[dict]], Any]:
    client = case_app.flask.test_client()

    def send(events: list[dict], expect: int = 202):
        response = client.post("/api/v1/events", json=events, headers=AUTH)
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    return send
