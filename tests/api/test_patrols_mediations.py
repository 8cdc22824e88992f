"""GET /api/v1/patrols and GET /api/v1/mediations (dashboard/api/patrols_mediations.py):
the summaries of a unit's subtree for today (district time) and this month."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers import AUTH, unique
from tests.actions.patrol_mediation_events import (COMMUNITY, CST, GRID1, GRID2, STREET, accepted, checkpoint, mediation, started,
                                    transferred)


def post(client, *events):
    r = client.post("/api/v1/events", data=json.dumps(list(events), ensure_ascii=False),
                    headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 202, r.get_data(as_text=True)


def get(client, path, **query):
    r = client.get(path, query_string=query)
    return r.status_code, r.get_json()


@pytest.fixture
def now() -> datetime:
    """A moment well inside today's district day, so "today" is unambiguous."""
    current = datetime.now(CST)
    return current if current.hour >= 1 else current.replace(hour=1, minute=0)


def test_patrols_of_today(client, now):
    pat = unique("PAT")
    post(client, started(pat, COMMUNITY, now - timedelta(minutes=50),
                         [("东门", GRID1, now - timedelta(minutes=40)), ("西门", GRID2, now + timedelta(hours=1))]),
         checkpoint(pat, "东门", GRID1, now - timedelta(minutes=41)))
    status, body = get(client, "/api/v1/patrols", unit=COMMUNITY)
    assert status == 200, body
    assert (body["unit"], body["day"], body["active"], body["covered"], body["grids"]) == (
        COMMUNITY, datetime.now(CST).date().isoformat(), 1, 1, 5)
    assert body["by_child"][GRID1] == {"grids": 1, "covered": 1, "active": 1, "overdue_checkpoints": 0}
    assert [(p["ref"], p["next_checkpoint"]["name"]) for p in body["patrols"]] == [(pat, "西门")]
    assert isinstance(body["head"], int) and body["server_time"].endswith("Z")
    street = get(client, "/api/v1/patrols", unit=STREET)[1]
    assert street["by_child"][COMMUNITY] == {"grids": 5, "covered": 1, "active": 1, "overdue_checkpoints": 0}
    yesterday = (datetime.now(CST) - timedelta(days=1)).date().isoformat()
    before = get(client, "/api/v1/patrols", unit=COMMUNITY, day=yesterday)[1]
    assert (before["day"], before["covered"], before["active"]) == (yesterday, 0, 1)
    assert before["day_start"] == datetime.fromisoformat(yesterday).replace(tzinfo=CST).astimezone(
        timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_mediations_of_this_month(client):
    med, real = unique("MED"), datetime.now(CST)
    month_start = real.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    post(client, accepted(med, GRID1, real - timedelta(days=40)),
         mediation(med, "failed", GRID1, real - timedelta(days=39)),
         transferred(med, GRID1, max(real - timedelta(seconds=2), month_start), "judicial"))
    status, body = get(client, "/api/v1/mediations", unit=STREET)
    assert status == 200, body
    assert body["open_by_channel"] == {"people": 0, "administrative": 0, "judicial": 1}
    assert body["transfers_month"] == [{"from": "people", "to": "judicial", "count": 1}]
    assert (body["agreed_month"], body["failed_month"], body["success_rate_month"]) == (0, 0, None)
    [case] = body["open_cases"]
    assert (case["ref"], case["path"], case["days_open"]) == (med, ["people", "judicial"], 40)
    local = datetime.now(CST)
    assert body["month_start"] == datetime(local.year, local.month, 1, tzinfo=CST).astimezone(
        timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert get(client, "/api/v1/mediations", unit="nancheng")[1]["open_cases"] == []


@pytest.mark.parametrize("path", ["/api/v1/patrols", "/api/v1/mediations"])
def test_bad_queries_are_422(client, path):
    status, body = get(client, path, unit="nowhere")
    assert status == 422 and body["details"] == [{"index": 0, "field": "unit", "message": "unknown unit 'nowhere'"}]
    if path.endswith("patrols"):
        status, body = get(client, path, unit=COMMUNITY, day="27/11/2026")
        assert status == 422 and body["details"][0]["field"] == "day"


def test_without_a_unit_the_district(client):
    status, body = get(client, "/api/v1/patrols")
    assert status == 200 and body["unit"] == "tongliang" and len(body["by_child"]) == 28
