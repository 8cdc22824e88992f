"""The API tests share one app per database (tests/conftest.py `module_app`),
emptied before each test. The audit, case-file and trend tests have apps of
their own (policy, clock, users; their helpers in *_helpers.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

import pytest

from tests.api import audit_helpers as audit, case_helpers as case, trends_helpers as trends
from tests.fixtures import Clock, add_users, event_poster


@pytest.fixture
def app(fresh_app):
    return fresh_app


# --- a day at a street's alert console (test_audit.py, test_bulk_alerts.py) ---

@pytest.fixture
def day_app(app_factory, tmp_path, request):
    """`make(database_url)` → an app on the day's policy with a settable clock (`app.services.clock.now`)."""

    def make(database_url: str):
        policy = tmp_path / "policy.yaml"
        policy.write_text(audit.POLICY)
        app = app_factory(database_url, DASHBOARD_POLICY_FILE=str(policy))
        app.services.clock = Clock(audit.T0)
        return app

    return make


# --- case files (test_case_file.py, test_case_links.py) ---

def frozen_app_with_users(app_factory, db_url, policy_file: str, clock, users, password):
    """An app on `db_url` with `policy_file` ("" = the quiet default), its clock frozen, `users` added."""
    app = app_factory(db_url, DASHBOARD_POLICY_FILE=policy_file, DASHBOARD_COALESCE_MS="0")
    app.services.clock = clock
    add_users(app.services.engine, users, password)
    return app


@pytest.fixture
def case_app(app_factory, db_url):
    return frozen_app_with_users(app_factory, db_url, "", Clock(case.at("03-02T09:00")), case.USERS, case.PASSWORD)


@pytest.fixture
def case_post(case_app) -> Callable[..., Any]:
    return event_poster(case_app)


# --- trend panels and the scorecard (test_trends.py, test_trend_panels.py, test_scorecard.py) ---

@pytest.fixture
def trend_app(app_factory, db_url, tmp_path):
    """An app on each database with the bundled policy (deadlines, surges) and a frozen clock.
    The history is posted up front, ahead of the frozen clock: the event_time window allows it."""
    from dashboard.domain.policy import DEFAULT_POLICY_FILE

    policy = tmp_path / "policy.yaml"
    policy.write_text(DEFAULT_POLICY_FILE.read_text(encoding="utf-8") + "\nevent_time: {future: 30d}\n", encoding="utf-8")
    return frozen_app_with_users(app_factory, db_url, str(policy),
                                 trends.Clock(datetime.fromisoformat("2026-03-20T12:00:00+08:00")),
                                 trends.USERS, trends.PASSWORD)


@pytest.fixture
def trend_post(trend_app) -> Callable[..., dict]:
    return event_poster(trend_app)


@pytest.fixture
def panel(trend_app) -> Callable[..., list[dict]]:
    """`panel(name, unit, start, end, **params)` -> the API's rows (as the district leader by default)."""
    client = trend_app.flask.test_client()

    def read(name: str, unit: str, start: str, end: str, *, user: str = "district-leader", **params: Any) -> list[dict]:
        query = {"unit": unit, "from": start, "to": end, "lang": "en", **params}
        response = client.get(f"/api/v1/trends/{name}", query_string=query, headers=trends.basic(user))
        assert response.status_code == 200, response.get_json()
        return response.get_json()["rows"]

    return read
