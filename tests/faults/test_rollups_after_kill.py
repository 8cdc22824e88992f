"""A server is SIGKILLed right after ingest answered 202, before its RollupWriter
applied the trend facts (it waits 2 s).

Claim: the facts were committed with the events as pending rows, so nothing is
lost: after the restart the trend panel counts every event accepted, once.
"""
from __future__ import annotations

import requests
from sqlalchemy import create_engine, func, select

from dashboard.store import rollups
from tests.api import trends_helpers as trends
from tests.faults.processes import kill_and_restart
from tests.fixtures import add_users
from tests.helpers import AUTH, COMMUNITY, incident

EVENTS = 40


def _counts(url: str) -> tuple[int, int]:
    """(pending rows, rollup rows) straight from the database."""
    engine = create_engine(url)
    with engine.connect() as conn:
        pending = conn.execute(select(func.count()).select_from(rollups.PENDING)).scalar_one()
        rolled = sum(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in rollups.TABLES.values())
    engine.dispose()
    return pending, rolled


def test_trend_facts_survive_a_kill_before_they_are_applied(live_server, shared_pg):
    server = live_server("a", database_url=shared_pg)
    engine = create_engine(shared_pg)
    add_users(engine, trends.USERS, trends.PASSWORD)
    engine.dispose()
    batch = [incident(unit=COMMUNITY + "-g01") for _ in range(EVENTS)]
    r = requests.post(server.url + "/api/v1/events", json=batch, headers=AUTH, timeout=30)
    assert r.status_code == 202 and r.json()["accepted"] == EVENTS, r.text
    kill_and_restart(server, down_s=0.5)  # within the writer's 2 s
    pending, rolled = _counts(shared_pg)
    assert pending == 1 and rolled == 0, (pending, rolled)  # killed before it applied anything

    def reported() -> int:
        answer = requests.get(server.url + "/api/v1/trends/units", params={
            "unit": "tongliang", "from": "2026-11-27", "to": "2026-11-27"},
            headers=trends.basic("district-leader"), timeout=30)
        assert answer.status_code == 200, answer.text
        return sum(row["reported"] for row in answer.json()["rows"])

    assert reported() == EVENTS  # the reader applied the pending facts first
    assert reported() == EVENTS  # ... once
    assert _counts(shared_pg)[0] == 0
