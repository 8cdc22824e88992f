"""Linked items in the case file: a patrol and the incident its anomaly opened point at each
other; the incidents of one surge point at each other, and the surge alert is in the
timeline of the report that set it off. Printable page and its 404 page: see test_case_browser."""
from __future__ import annotations

import itertools

from tests.api.case_helpers import basic
from tests.helpers import COMMUNITY, GRID

_ids = itertools.count(1)


def ev(kind: str, type: str, ref: str, at: str, **fields) -> dict:
    event = {"id": f"l{next(_ids)}", "source": "test", "kind": kind, "type": type, "ref": ref, "unit": GRID,
             "occurred_at": f"2026-03-02T{at}:00+08:00"}
    event.update(fields)
    return event


def read(case_app, kind: str, ref: str) -> dict:
    response = case_app.flask.test_client().get(f"/api/v1/items/{kind}/{ref}", headers=basic("district-leader"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_patrol_and_the_incident_its_anomaly_opened(case_app, case_post):
    plan = [{"name": "东门", "unit": GRID, "due_at": "2026-03-02T09:30:00+08:00"}]
    case_post([ev("patrol", "started", "P-1", "09:00", unit=COMMUNITY,
             attributes={"team": "巡逻一队", "team_kind": "police", "checkpoints": plan}),
          ev("patrol", "checkpoint", "P-1", "09:28", attributes={"checkpoint": "东门"}),
          ev("patrol", "anomaly", "P-1", "09:31", title="井盖缺失")])
    patrol = read(case_app, "patrol", "P-1")
    assert [(link["relation"], link["kind"], link["ref"], link["exists"]) for link in patrol["links"]] == [
        ("anomaly", "incident", "P-1-A1", True)]
    assert [(e["type"], e.get("checkpoint")) for e in patrol["timeline"]] == [
        ("started", None), ("checkpoint", "东门"), ("anomaly", None)]
    assert {c["stage"]: c["status"] for c in patrol["clocks"]} == {"checkpoint:东门": "met"}
    incident = read(case_app, "incident", "P-1-A1")
    assert [(link["relation"], link["kind"], link["ref"]) for link in incident["links"]] == [("found_by", "patrol", "P-1")]
    assert incident["timeline"][0]["type"] == "reported" and incident["source"] == "dashboard"


def test_incidents_of_one_surge_point_at_each_other(case_app, case_post):
    case_app.services.clock.now = case_app.services.clock.now.replace(hour=10, minute=45)
    case_post([ev("incident", "reported", f"S-{n}", at, category="sanitation", priority=4, title=f"垃圾堆放 {n}")
          for n, at in ((1, "10:00"), (2, "10:20"), (3, "10:40"))]
         + [ev("incident", "reported", "OTHER", "10:30", category="parking", priority=4)])
    first = read(case_app, "incident", "S-1")
    assert [(link["relation"], link["ref"]) for link in first["links"]] == [("surge", "S-2"), ("surge", "S-3")]
    trigger = read(case_app, "incident", "S-3")
    assert [(link["relation"], link["ref"]) for link in trigger["links"]] == [("surge", "S-1"), ("surge", "S-2")]
    assert [(e["type"], e.get("stage"), e.get("level")) for e in trigger["timeline"]] == [
        ("reported", None, None), ("alert_raised", "surge", "district")]
    assert read(case_app, "incident", "OTHER")["links"] == []
