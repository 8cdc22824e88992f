"""Helpers for the tests against real server processes (escalation, console,
walls, case, the sweep worker): users added to a database before its servers
start, ingest and HTTP helpers. The servers themselves come from
tests/conftest.py (`live_server`, `redis_url`, `pg_databases`, `sqlite_url`,
`page`); short policy files from tests/fixtures.py (`policy_file`)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from tests import fixtures
from tests.helpers import AUTH, unique

PASSWORD = "correct horse 1"


def add_users(database_url: str, users: dict[str, tuple[str, str]], password: str = PASSWORD) -> None:
    """Add `{name: (role, unit)}` to a seeded database (what `python -m dashboard users add` does)."""
    from dashboard.store.db import create_schema, make_engine

    engine = make_engine(database_url)
    try:
        create_schema(engine)
        fixtures.add_users(engine, users, password)
    finally:
        engine.dispose()


def rfc3339(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ago(seconds: float = 0.0) -> str:
    return rfc3339(datetime.now(timezone.utc) - timedelta(seconds=seconds))


def reported(unit: str, *, priority: int = 2, category: str = "parking", occurred_at: str | None = None,
             ref: str | None = None, title: str | None = None) -> dict:
    """A `reported` incident event occurring now (or at `occurred_at`)."""
    ref = ref or unique("INC")
    return {"id": unique("ev"), "source": "grid-app", "kind": "incident", "type": "reported", "ref": ref,
            "unit": unit, "occurred_at": occurred_at or ago(), "category": category, "priority": priority,
            "title": title or f"escalation test {ref}"}


def post_events(base_url: str, events: list[dict] | dict) -> dict:
    response = requests.post(base_url + "/api/v1/events", json=events, headers=AUTH, timeout=30)
    assert response.status_code == 202, response.text
    return response.json()


def get_json(base_url: str, path: str, **params) -> dict:
    response = requests.get(base_url + path, params=params, timeout=10)
    assert response.status_code == 200, f"GET {path} {params}: {response.status_code} {response.text[:500]}"
    return response.json()


def stream(base_url: str, unit: str, after: int = 0) -> list[dict]:
    """Every message of `unit`'s subtree after `after`, following `more`."""
    out: list[dict] = []
    while True:
        body = get_json(base_url, "/api/v1/stream", unit=unit, after=after, limit=1000)
        out.extend(body["messages"])
        if not body["messages"] or not body.get("more"):
            return out
        after = body["messages"][-1]["seq"]


def alert_act(base_url: str, alert_id: int, verb: str, user: str | None, note: str | None = None,
              password: str = PASSWORD) -> requests.Response:
    """`POST /api/v1/alerts/<id>/<verb>` as `user` over HTTP Basic (None: anonymous)."""
    auth = (user, password) if user is not None else None
    return requests.post(f"{base_url}/api/v1/alerts/{alert_id}/{verb}", json={"note": note}, auth=auth, timeout=10)


def server_env(policy: Path | str, **extra: str) -> dict[str, str]:
    """Environment of a server that runs the deadline sweep under `policy`
    (tests/conftest.py's live_server defaults to no sweep and a quiet policy)."""
    return {"DASHBOARD_POLICY_FILE": str(policy), "DASHBOARD_SCHEDULER": "1", **extra}


def open_console(context, base_url: str, user: str, password: str = PASSWORD, *, timeout_ms: int = 15000):
    """A new page of `context`, logged in as `user` and landed on /alerts."""
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(f"{base_url}/login?next=/alerts")
    page.fill('input[name="name"]', user)
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"]')
    page.wait_for_url("**/alerts")
    return page
