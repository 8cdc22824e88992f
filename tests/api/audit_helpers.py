"""A day at a street's alert console, on a frozen clock: an app whose policy
raises an alert 15 minutes after a report and escalates it 10 minutes later,
users added, incidents reported, and helpers to log in and act as a browser
would (session cookie + X-CSRFToken). The app itself is `day_app` in
tests/api/conftest.py."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from dashboard.actions.ingest import do_ingest_events
from dashboard.actions.sweep import do_sweep
from dashboard.domain.events import EventIn
from tests import fixtures
from tests.fixtures import GRID, OTHER_GRID, STREET, Clock, policy  # noqa: F401  (the audit tests import them from here)

PASSWORD = "correct horse 1"
T0 = datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)   # 09:00 district time

POLICY = policy(incident="{acknowledge: 15m, arrive: 4h, resolve: 24h}", surge="{window: 1h, count: 100}")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def report(app, ref: str, unit: str = GRID, minute: float = 0) -> None:
    do_ingest_events(app.services, [EventIn.model_validate({
        "id": f"{ref}-reported", "source": "test", "kind": "incident", "type": "reported", "ref": ref,
        "unit": unit, "occurred_at": at(minute).isoformat(), "category": "parking", "priority": 2,
        "title": f"乱停车 {ref}"})])


def sweep(app, minute: float) -> None:
    app.services.clock.now = at(minute)
    do_sweep(app.services, at(minute))


def alert_ids(app) -> dict[str, int]:
    """{ref: id} of the `acknowledge` alerts."""
    from sqlmodel import Session, select

    from dashboard.store.models import Alert

    with Session(app.services.engine) as session:
        return {ref: i for i, ref in session.exec(select(Alert.id, Alert.ref).where(Alert.stage == "acknowledge"))}


def add_users(app, users: dict[str, tuple[str, str]]) -> None:
    fixtures.add_users(app.services.engine, users, PASSWORD)


def log_in(client, name: str, password: str = PASSWORD):
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token.group(1)})


def csrf_header(client) -> dict[str, str]:
    """What the console sends: the `_csrf_token` cookie's value as X-CSRFToken (set by any page)."""
    client.get("/alerts")
    cookie = client.get_cookie("_csrf_token")
    assert cookie is not None
    return {"X-CSRFToken": cookie.value}
