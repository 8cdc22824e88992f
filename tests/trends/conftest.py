"""Fixtures for the trend panels: an app on a frozen clock, users of each level, and
helpers to post events and read panels."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable

import pytest

from tests.fixtures import add_users, basic_auth, event_poster

PASSWORD = "trends password 1"
USERS = {"district-leader": ("leader", "tongliang"), "bachuan-leader": ("leader", "bachuan"),
         "zhengjie-duty": ("duty", "bachuan-zhengjie")}


class Clock:
    """A clock the test moves (svc.clock): ingest, sweeps and acknowledgements read it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, text: str) -> None:
        self.at = datetime.fromisoformat(text)


def basic(name: str) -> dict[str, str]:
    return basic_auth(name, PASSWORD)


@pytest.fixture
def trend_app(app_factory, db_url, tmp_path):
    """An app on each database with the bundled policy (deadlines, surges) and a frozen clock.
    The history is posted up front, ahead of the frozen clock: the event_time window allows it."""
    from dashboard.domain.policy import DEFAULT_POLICY_FILE

    policy = tmp_path / "policy.yaml"
    policy.write_text(DEFAULT_POLICY_FILE.read_text(encoding="utf-8") + "\nevent_time: {future: 30d}\n", encoding="utf-8")
    app = app_factory(db_url, DASHBOARD_POLICY_FILE=str(policy), DASHBOARD_COALESCE_MS="0")
    app.services.clock = Clock(datetime.fromisoformat("2026-03-20T12:00:00+08:00"))
    add_users(app.services.engine, USERS, PASSWORD)
    return app


@pytest.fixture
def post(trend_app) -> Callable[..., dict]:
    return event_poster(trend_app)


@pytest.fixture
def panel(trend_app) -> Callable[..., list[dict]]:
    """`panel(name, unit, start, end, **params)` -> the API's rows (as the district leader by default)."""
    client = trend_app.flask.test_client()

    def read(name: str, unit: str, start: str, end: str, *, user: str = "district-leader", **params: Any) -> list[dict]:
        query = {"unit": unit, "from": start, "to": end, "lang": "en", **params}
        response = client.get(f"/api/v1/trends/{name}", query_string=query, headers=basic(user))
        assert response.status_code == 200, response.get_json()
        return response.get_json()["rows"]

    return read


def codes(rows: list[dict], *keep: str) -> list[tuple]:
    """Rows reduced to the named columns (the names are checked elsewhere)."""
    return [tuple(r[k] for k in keep) for r in rows]


def day(text: str) -> date:
    return date.fromisoformat(text)
