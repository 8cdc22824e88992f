"""The case file of an incident that goes through every stage: reported, dispatched to a
department, acknowledged, an arrive deadline missed (alert raised at the community,
escalated to the street, acknowledged there with a note, resolved when the team
arrives), resolved, closed, reopened, dispatched to another department and resolved
again. The timeline is asserted entry by entry, in seq order, with the stage clocks
(the item's and each department's own) and the 404s."""
from __future__ import annotations

import itertools

from dashboard.actions.sweep import do_sweep
from tests.api.case_helpers import at, basic
from tests.helpers import COMMUNITY, GRID

_ids = itertools.count(1)
REF = "INC-CASE-1"


def inc(type: str, when: str, **fields) -> dict:
    event = {"id": f"c{next(_ids)}", "source": "grid-app", "kind": "incident", "type": type, "ref": REF,
             "unit": GRID, "occurred_at": f"2026-{when}:00+08:00"}
    event.update(fields)
    return event


def dispatched(when: str, department: str) -> dict:
    return inc("dispatched", when, actor="巴川街道指挥中心", attributes={"department": department})


def run_case(case_app, case_post) -> None:
    svc = case_app.services
    client = case_app.flask.test_client()
    case_post([inc("reported", "03-02T09:00", category="parking", priority=2, title="消防通道被占",
              actor="网格员张三", description="三号楼消防通道被私家车占用")])
    case_post([dispatched("03-02T09:05", "urban_management"), inc("acknowledged", "03-02T09:10", actor="城管队员李四")])
    do_sweep(svc, now=at("03-02T10:01"))   # arrive was due 10:00: raised at the community
    do_sweep(svc, now=at("03-02T10:12"))   # nobody acknowledged for 10 minutes: to the street
    alert_id = client.get(f"/api/v1/items/incident/{REF}", headers=basic("district-leader")).get_json()["alerts"][0]["id"]
    svc.clock.now = at("03-02T10:15")
    response = client.post(f"/api/v1/alerts/{alert_id}/ack", json={"note": "已电话督促城管到场"},
                           headers=basic("bachuan-duty"))
    assert response.status_code == 200, response.get_json()
    svc.clock.now = at("03-02T10:21")
    case_post([inc("arrived", "03-02T10:20", actor="城管队员李四")])  # meets arrive: the alert is resolved
    case_post([inc("resolved", "03-02T14:00"), inc("closed", "03-02T15:00")])
    svc.clock.now = at("03-03T12:30")
    case_post([inc("reopened", "03-03T09:00", actor="12345热线", description="车辆又停回来了"),
          dispatched("03-03T09:30", "public_security"), inc("resolved", "03-03T12:00", actor="交警王五")])


def test_case_file_timeline_through_every_stage(case_app, case_post):
    run_case(case_app, case_post)
    client = case_app.flask.test_client()
    response = client.get(f"/api/v1/items/incident/{REF}?lang=en", headers=basic("bachuan-duty"))
    assert response.status_code == 200, response.get_json()
    case = response.get_json()
    seqs = [e["seq"] for e in case["timeline"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    steps = [(e["type"], e["at"], e.get("user"), e.get("note"), e.get("level"), e.get("department"))
             for e in case["timeline"]]
    assert steps == [
        ("reported", "2026-03-02T01:00:00.000Z", "网格员张三", "三号楼消防通道被私家车占用", None, None),
        ("dispatched", "2026-03-02T01:05:00.000Z", "巴川街道指挥中心", None, None, "urban_management"),
        ("acknowledged", "2026-03-02T01:10:00.000Z", "城管队员李四", None, None, None),
        ("alert_raised", "2026-03-02T02:01:00.000Z", None, None, "community", None),
        ("alert_escalated", "2026-03-02T02:12:00.000Z", None, None, "street", None),
        ("alert_acknowledged", "2026-03-02T02:15:00.000Z", "bachuan-duty", "已电话督促城管到场", "street", None),
        ("arrived", "2026-03-02T02:20:00.000Z", "城管队员李四", None, None, None),
        ("alert_resolved", "2026-03-02T02:21:00.000Z", None, "item progressed", "street", None),
        ("resolved", "2026-03-02T06:00:00.000Z", None, None, None, None),
        ("closed", "2026-03-02T07:00:00.000Z", None, None, None, None),
        ("reopened", "2026-03-03T01:00:00.000Z", "12345热线", "车辆又停回来了", None, None),
        ("dispatched", "2026-03-03T01:30:00.000Z", "巴川街道指挥中心", None, None, "public_security"),
        ("resolved", "2026-03-03T04:00:00.000Z", "交警王五", None, None, None),
    ]
    escalated = case["timeline"][4]
    assert (escalated["from_level"], escalated["stage"], escalated["entry"]) == ("community", "arrive", "alert")
    assert case["timeline"][1]["department_name"] == "City Management"
    # facts
    assert (case["status"], case["open"], case["category"], case["priority"]) == ("resolved", False, "parking", 2)
    assert (case["unit"], case["unit_name"], case["category_name"]) == (GRID, "Zhengjie Grid 1", "Parking disorder")
    assert [u["code"] for u in case["unit_path"]] == ["tongliang", "bachuan", COMMUNITY, GRID]
    assert (case["reporter"], case["source"], case["department"]) == ("网格员张三", "grid-app", "public_security")
    # the item's clocks: acknowledge met in 10 of 15 minutes; arrive 20 minutes late; resolve (restarted by
    # the reopen at 09:00 on the 3rd, 24 h) met after 3 hours
    clocks = {c["stage"]: (c["status"], c["late_by_s"], c["due"]) for c in case["clocks"]}
    assert clocks == {"acknowledge": ("met", -300, "2026-03-02T01:15:00.000Z"),
                      "arrive": ("late", 1200, "2026-03-02T02:00:00.000Z"),
                      "resolve": ("met", -75600, "2026-03-04T01:00:00.000Z")}
    # each department on its own clocks, from its dispatch: city management arrived 15 minutes late
    # (due 10:05) and resolved in time; public security was dispatched for the reopened case and
    # resolved it 2.5 hours after its dispatch (which met its arrive clock too, 1.5 hours late)
    departments = [(d["department"], {c["stage"]: (c["status"], c["late_by_s"]) for c in d["clocks"]})
                   for d in case["department_clocks"]]
    assert departments == [
        ("urban_management", {"arrive": ("late", 900), "resolve": ("met", -86400 + 4 * 3600 + 55 * 60)}),
        ("public_security", {"arrive": ("late", 9000 - 3600), "resolve": ("met", -86400 + 9000)})]
    assert case["alerts"] == [{"id": case["timeline"][3]["alert_id"], "stage": "arrive", "state": "resolved",
                               "level": "street", "active": False, "reason": "on-scene deadline missed"}]


def test_case_file_scope_and_unknown(case_app, case_post):
    run_case(case_app, case_post)
    client = case_app.flask.test_client()
    assert client.get(f"/api/v1/items/incident/{REF}", headers=basic("nancheng-duty")).status_code == 403
    missing = client.get("/api/v1/items/incident/NO-SUCH-REF", headers=basic("district-leader"))
    assert missing.status_code == 404 and "NO-SUCH-REF" in missing.get_json()["error"]
    assert client.get(f"/api/v1/items/parcel/{REF}").status_code == 404
    assert client.get(f"/api/v1/items/patrol/{REF}").status_code == 404  # the ref is an incident's
