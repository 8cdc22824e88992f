"""The wall snapshot (GET /api/v1/walls/<unit>) and its counting rules, in
process, on SQLite and PostgreSQL: today's counters equal what
/api/v1/incidents says, the on-time rule, the grids patrolled today, and the
units a wall sees."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from dashboard.store.wall_queries import grids_by_child, stage_outcomes
from tests.helpers import AUTH, COMMUNITY, DISTRICT, GRID, GRID2, OTHER_GRID, SIBLING_COMMUNITY, STREET, unique
from tests.e2e.walls import event, in_cst_today, reported

T0 = datetime(2026, 11, 27, 16, 0, tzinfo=timezone.utc)  # 00:00 on 28 November in the district
DAY0, DAY1 = T0, T0 + timedelta(days=1)


def at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("deadline, outcome", [
    ({"due": at(2), "met": at(1)}, "on_time"),          # met today before due
    ({"due": at(2), "met": at(2)}, "on_time"),          # met exactly at due
    ({"due": at(2), "met": at(3)}, "late"),             # met today after due
    ({"due": at(-5), "met": at(1)}, "late"),            # due yesterday, met today: late today
    ({"due": at(-5), "met": at(-1)}, None),             # settled yesterday
    ({"due": at(5), "met": None}, "late"),              # unmet, due today and passed (now = +6 h)
    ({"due": at(7), "met": None}, None),                # unmet, not due yet
    ({"due": at(-2), "met": None}, None),               # unmet since yesterday: counted yesterday
])
def test_a_stage_counts_on_the_day_its_outcome_is_known(deadline, outcome):
    result = stage_outcomes({"acknowledge": deadline}, day_start=DAY0, day_end=DAY1, now=T0 + timedelta(hours=6))
    assert result.get("acknowledge") == outcome


def test_each_child_with_its_grids(app):
    tree = app.services.tree
    district = grids_by_child(tree, DISTRICT)
    assert len(district) == 28 and sum(len(g) for g in district.values()) == 131
    assert district["tuqiao"] == []  # a town without grids: coverage does not apply
    street = grids_by_child(tree, STREET)
    assert GRID in street[COMMUNITY] and set(street) == set(tree.children[STREET])
    assert grids_by_child(tree, COMMUNITY) == {g: [g] for g in tree.children[COMMUNITY]}


@pytest.fixture
def client(app_factory, db_url):
    """An app under the bundled policy (deadlines exist, none falls due in a test)."""
    return app_factory(db_url, DASHBOARD_POLICY_FILE="").flask.test_client()


def post(client, body) -> list[int]:
    r = client.post("/api/v1/events", data=json.dumps(body, ensure_ascii=False),
                    headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 202, r.get_data(as_text=True)
    return [x["seq"] for x in r.get_json()["results"]]


def test_snapshot_counters_equal_the_read_api(client):
    old = reported(GRID, seconds_ago=3 * 86400)               # open, not new today
    new, done, other = reported(GRID), reported(GRID2, priority=4), reported(OTHER_GRID)
    post(client, [old, new, done, other])
    post(client, [event("incident", "acknowledged", GRID, new["ref"]),
                  event("incident", "resolved", GRID2, done["ref"])])
    patrol = unique("PAT")
    due = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    post(client, event("patrol", "started", GRID, patrol, attributes={
        "team": "一队", "team_kind": "grid_worker",
        "checkpoints": [{"name": "A", "unit": GRID, "due_at": due}, {"name": "B", "unit": GRID2, "due_at": due}]}))
    post(client, event("patrol", "checkpoint", GRID2, patrol, attributes={"checkpoint": "B"}))

    snap = client.get(f"/api/v1/walls/{STREET}").get_json()
    incidents = client.get(f"/api/v1/incidents?unit={STREET}&status=all").get_json()["incidents"]
    assert snap["today"]["new"] == sum(in_cst_today(i["opened_at"]) for i in incidents) == 2
    assert snap["today"]["resolved"] == 1 and snap["today"]["resolved_keys"] == [f"incident:{done['ref']}"]
    assert sorted(i["ref"] for i in snap["items"] if i["kind"] == "incident") == \
        sorted(i["ref"] for i in incidents if i["open"])
    assert snap["covered"] == [GRID2]
    # the resolved incident's acknowledge and resolve stages were met today, on time
    counts = snap["today"]["ontime_closed"][COMMUNITY]
    assert counts["acknowledge"] == [1, 0] and counts["resolve"] == [1, 0]
    assert snap["head"] == max(m["seq"] for m in client.get(f"/api/v1/stream?unit={DISTRICT}").get_json()["messages"])
    assert snap["drill"] is False and snap["items_truncated"] is False
    assert snap["stats"]["mediations"]["open_by_channel"] == {"people": 0, "administrative": 0, "judicial": 0}
    # a sibling community's wall sees none of it
    sibling = client.get(f"/api/v1/walls/{SIBLING_COMMUNITY}").get_json()
    assert sibling["items"] == [] and sibling["today"]["new"] == 0 and sibling["covered"] == []


def test_unknown_wall_is_404(client):
    r = client.get("/api/v1/walls/nowhere")
    assert r.status_code == 404 and "nowhere" in r.get_json()["error"]


def test_short_names_fit_a_table_cell_and_stay_unambiguous(app):
    from layouts.wall import short_name

    tree = app.services.tree
    assert short_name(tree, STREET, "zh") == "巴川" and short_name(tree, "tuqiao", "zh") == "土桥"
    assert short_name(tree, COMMUNITY, "zh") == "正街" and short_name(tree, DISTRICT, "zh") == "铜梁"
    assert short_name(tree, GRID, "zh", "community") == "第1网格"
    assert short_name(tree, GRID, "zh", "street") == "正街第1网格"   # every community has a 第1网格
    assert short_name(tree, GRID, "en", "community") == "Grid 1"
    assert short_name(tree, GRID, "en", "district") == "Zhengjie Grid 1"
    assert short_name(tree, STREET, "en") == "Bachuan"
