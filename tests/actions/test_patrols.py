"""Patrols on a moving clock: the lifecycle as the walls see it, the next
checkpoint and its clock, coverage of the day (a patrol crossing midnight
counts on each day a checkpoint was reached), and a missed checkpoint raising
an alert at the community that climbs like any other (DOMAIN "Patrols",
"Response-time clocks and escalation")."""
from __future__ import annotations

from sqlmodel import Session, select

from dashboard.store.models import Item
from dashboard.store.queries import alerts_in
from dashboard.store.patrol_mediation_stats import patrol_summary
from tests.actions.patrol_mediation_events import (COMMUNITY, DAY, GRID1, GRID2, GRID3, MIN, OTHER_GRID, SIBLING, SIBLING_GRID,
                                    STREET, T0, brief, checkpoint, ended, ingest, local_day, position, started,
                                    sweep_at)

ROUTE = [("东门岗亭", GRID1, T0 + 30 * MIN), ("菜市场", GRID2, T0 + 60 * MIN), ("小学门口", GRID3, T0 + 90 * MIN)]


def summary(svc, unit=COMMUNITY, day=T0, now=None):
    start, end = local_day(day)
    return patrol_summary(svc.engine, tree=svc.tree, unit=unit, day_start=start, day_end=end,
                          now=now or svc.clock())


def item(svc, ref):
    with Session(svc.engine) as session:
        return session.exec(select(Item).where(Item.kind == "patrol", Item.ref == ref)).one()


def test_started_checkpoints_positions_ended(svc):
    ingest(svc, started("PAT-1", COMMUNITY, T0, ROUTE))
    s = summary(svc)
    assert s["active"] == 1 and s["covered"] == 0 and s["grids"] == 5
    [p] = s["patrols"]
    assert (p["ref"], p["team"], p["team_kind"], p["unit"], p["reached"], p["planned"]) == (
        "PAT-1", "正街社区治安巡逻队", "security_patrol", COMMUNITY, 0, 3)
    assert p["next_checkpoint"] == {"name": "东门岗亭", "unit": GRID1, "due_at": "2026-11-27T01:30:00.000Z",
                                    "deadline": "2026-11-27T01:45:00.000Z"}
    assert p["last_position"] is None
    assert {c: v["active"] for c, v in s["by_child"].items() if v["active"]} == {GRID1: 1, GRID2: 1, GRID3: 1}

    ingest(svc, position("PAT-1", GRID1, T0 + 20 * MIN, 29.84, 106.05))
    ingest(svc, checkpoint("PAT-1", "东门岗亭", GRID1, T0 + 28 * MIN))
    s = summary(svc)
    [p] = s["patrols"]
    assert p["next_checkpoint"]["name"] == "菜市场" and p["reached"] == 1
    assert p["last_position"] == {"lat": 29.84, "lon": 106.05}
    assert (s["covered"], s["by_child"][GRID1]["covered"], s["by_child"][GRID2]["covered"]) == (1, 1, 0)

    ingest(svc, checkpoint("PAT-1", "菜市场", GRID2, T0 + 55 * MIN, location={"lat": 29.85, "lon": 106.06}))
    ingest(svc, checkpoint("PAT-1", "小学门口", GRID3, T0 + 85 * MIN))
    s = summary(svc)
    assert s["patrols"][0]["next_checkpoint"] is None and s["covered"] == 3
    assert s["patrols"][0]["last_position"] == {"lat": 29.85, "lon": 106.06}

    ingest(svc, ended("PAT-1", COMMUNITY, T0 + 95 * MIN))
    s = summary(svc)
    assert (s["active"], s["patrols"], s["covered"]) == (0, [], 3)  # an ended patrol still covered its grids
    assert item(svc, "PAT-1").status == "ended"
    # the street's wall: the community is one child; the district's: the street
    street = summary(svc, STREET)
    assert street["by_child"][COMMUNITY] == {"grids": 5, "covered": 3, "active": 0, "overdue_checkpoints": 0}
    assert street["by_child"][SIBLING] == {"grids": 5, "covered": 0, "active": 0, "overdue_checkpoints": 0}
    district = summary(svc, "tongliang")
    assert (district["grids"], district["covered"]) == (131, 3)
    assert district["by_child"][STREET]["covered"] == 3 and district["by_child"]["tuqiao"]["grids"] == 0


def test_messages_carry_the_patrol_state_to_the_walls(svc):
    ingest(svc, started("PAT-1", COMMUNITY, T0, ROUTE), checkpoint("PAT-1", "东门岗亭", GRID1, T0 + 28 * MIN))
    events = [m for m in svc.announcer.messages if m["name"] == "event"]
    assert [(m["data"]["type"], m["unit"]) for m in events] == [("started", COMMUNITY), ("checkpoint", GRID1)]
    last = events[-1]["data"]["item"]
    assert (last["kind"], last["ref"], last["status"], last["open"]) == ("patrol", "PAT-1", "active", True)
    reached = {cp["name"]: cp["reached_unit"] for cp in last["details"]["checkpoints"]}
    assert reached == {"东门岗亭": GRID1, "菜市场": None, "小学门口": None}
    assert last["deadlines"]["checkpoint:东门岗亭"]["met"] is not None


def test_missed_checkpoint_alerts_the_community_then_climbs(svc):
    ingest(svc, started("PAT-1", COMMUNITY, T0, ROUTE))
    assert sweep_at(svc, T0 + 44 * MIN) == []
    assert summary(svc)["overdue_checkpoints"] == []
    raised = sweep_at(svc, T0 + 45 * MIN)  # planned 09:30 + 15 min grace
    assert brief(raised) == [("raised", "PAT-1", "checkpoint:东门岗亭", "community", COMMUNITY)]
    assert raised[0]["reason"] == "checkpoint 东门岗亭 missed"
    assert raised[0]["due_at"] == "2026-11-27T01:45:00.000Z"
    s = summary(svc)
    assert s["overdue_checkpoints"] == [{"ref": "PAT-1", "team": "正街社区治安巡逻队", "checkpoint": "东门岗亭",
                                         "unit": GRID1, "due_at": "2026-11-27T01:30:00.000Z",
                                         "deadline": "2026-11-27T01:45:00.000Z"}]
    assert s["by_child"][GRID1]["overdue_checkpoints"] == 1 and s["by_child"][GRID2]["overdue_checkpoints"] == 0
    assert summary(svc, STREET)["by_child"][COMMUNITY]["overdue_checkpoints"] == 1

    assert brief(sweep_at(svc, T0 + 55 * MIN)) == [("escalated", "PAT-1", "checkpoint:东门岗亭", "street", STREET)]
    assert brief(sweep_at(svc, T0 + 65 * MIN)) == [
        ("escalated", "PAT-1", "checkpoint:东门岗亭", "district", "tongliang")]
    assert brief(sweep_at(svc, T0 + 75 * MIN)) == [("raised", "PAT-1", "checkpoint:菜市场", "community", COMMUNITY)]
    assert len(summary(svc)["overdue_checkpoints"]) == 2

    # reached late: its alert is resolved by the event, the other stays
    ingest(svc, checkpoint("PAT-1", "东门岗亭", GRID1, T0 + 76 * MIN))
    resolved = [m["data"] for m in svc.announcer.messages if m["name"] == "alert" and m["data"]["action"] == "resolved"]
    assert [(a["stage"], a["resolved_by"]) for a in resolved] == [("checkpoint:东门岗亭", "system")]
    assert [o["checkpoint"] for o in summary(svc)["overdue_checkpoints"]] == ["菜市场"]
    active = alerts_in(svc.engine, tree=svc.tree, unit=COMMUNITY)
    assert [(a["stage"], a["level"]) for a in active] == [("checkpoint:菜市场", "community")]

    # the patrol ends: nothing is overdue any more, its alerts are done, no new one is raised
    ingest(svc, ended("PAT-1", COMMUNITY, T0 + 80 * MIN))
    assert alerts_in(svc.engine, tree=svc.tree, unit=COMMUNITY) == []
    assert summary(svc)["overdue_checkpoints"] == []
    assert sweep_at(svc, T0 + 3 * 60 * MIN) == []


def test_checkpoint_reached_within_grace_raises_nothing(svc):
    ingest(svc, started("PAT-1", COMMUNITY, T0, ROUTE[:1]))
    ingest(svc, checkpoint("PAT-1", "东门岗亭", GRID1, T0 + 44 * MIN))  # 14 min late: inside the grace
    assert sweep_at(svc, T0 + 2 * 60 * MIN) == []
    assert summary(svc, now=T0 + 2 * 60 * MIN)["overdue_checkpoints"] == []


def test_a_grid_patrol_alerts_its_community(svc):
    ingest(svc, started("PAT-G", GRID2, T0, [("桥头", GRID2, T0 + 10 * MIN)]))
    assert brief(sweep_at(svc, T0 + 25 * MIN)) == [("raised", "PAT-G", "checkpoint:桥头", "community", COMMUNITY)]
    s = summary(svc)
    assert s["by_child"][GRID2]["active"] == 1 and s["by_child"][GRID2]["overdue_checkpoints"] == 1


def test_coverage_of_a_patrol_crossing_midnight(svc):
    night = T0.replace(hour=23, minute=20)
    route = [("A", GRID1, night + 10 * MIN), ("B", GRID2, night + 30 * MIN), ("C", GRID3, night + 50 * MIN)]
    ingest(svc, started("PAT-N", COMMUNITY, night, route))
    ingest(svc, checkpoint("PAT-N", "A", GRID1, night + 10 * MIN))   # 23:30, Friday
    ingest(svc, checkpoint("PAT-N", "B", GRID2, night + 39 * MIN + 59 * MIN / 60))  # 23:59:59
    ingest(svc, checkpoint("PAT-N", "C", GRID3, night + 40 * MIN))   # 00:00:00, Saturday
    ingest(svc, ended("PAT-N", COMMUNITY, night + 55 * MIN))
    friday, saturday = summary(svc, day=night), summary(svc, day=night + DAY)
    covered = lambda s: {c for c, v in s["by_child"].items() if v["covered"]}  # noqa: E731
    assert covered(friday) == {GRID1, GRID2} and friday["covered"] == 2
    assert covered(saturday) == {GRID3} and saturday["covered"] == 1
    assert summary(svc, day=night - DAY)["covered"] == 0
    assert summary(svc, STREET, day=night + DAY)["by_child"][COMMUNITY]["covered"] == 1


def test_coverage_counts_where_reached_once_per_grid_and_the_first_time_only(svc):
    route = [("A", GRID1, T0 + 10 * MIN), ("B", GRID1, T0 + 20 * MIN), ("C", GRID2, T0 + 30 * MIN)]
    ingest(svc, started("PAT-1", COMMUNITY, T0, route), started("PAT-2", COMMUNITY, T0, route))
    ingest(svc, checkpoint("PAT-1", "A", GRID1, T0 + 10 * MIN), checkpoint("PAT-1", "B", GRID1, T0 + 20 * MIN),
         checkpoint("PAT-2", "A", GRID1, T0 + 11 * MIN))
    # C was planned in grid 2 but reached standing in grid 3: grid 3 is covered, not grid 2
    ingest(svc, checkpoint("PAT-1", "C", GRID3, T0 + 30 * MIN))
    s = summary(svc)
    assert {c: v["covered"] for c, v in s["by_child"].items()} == {
        GRID1: 1, GRID2: 0, GRID3: 1, "bachuan-zhengjie-g04": 0, "bachuan-zhengjie-g05": 0}
    assert s["covered"] == 2
    # reached again the next day: the checkpoint keeps its first time, so the next day is not covered by it
    ingest(svc, checkpoint("PAT-2", "A", GRID1, T0 + DAY))
    assert summary(svc, day=T0 + DAY)["covered"] == 0
    # a late upload of an earlier reach moves the checkpoint to the earlier day
    ingest(svc, started("PAT-3", COMMUNITY, T0 - DAY, [("Z", GRID2, T0 - DAY + 10 * MIN)]))
    ingest(svc, checkpoint("PAT-3", "Z", GRID2, T0 + 5 * MIN))
    assert summary(svc)["by_child"][GRID2]["covered"] == 1
    ingest(svc, checkpoint("PAT-3", "Z", GRID2, T0 - DAY + 9 * MIN))
    assert summary(svc)["by_child"][GRID2]["covered"] == 0
    assert summary(svc, day=T0 - DAY)["by_child"][GRID2]["covered"] == 1


def test_a_patrol_from_another_community_covers_the_grids_it_reached(svc):
    ingest(svc, started("PAT-X", SIBLING, T0, [("界碑", GRID1, T0 + 10 * MIN), ("河边", SIBLING_GRID, T0 + 20 * MIN)],
                        team="巴川派出所巡逻一组", team_kind="police"))
    ingest(svc, checkpoint("PAT-X", "界碑", GRID1, T0 + 10 * MIN))
    mine = summary(svc)
    assert mine["covered"] == 1 and mine["active"] == 0 and mine["patrols"] == []  # it belongs to its own community
    theirs = summary(svc, SIBLING)
    assert theirs["active"] == 1 and theirs["covered"] == 0 and theirs["grids"] == 5
    assert summary(svc, STREET)["by_child"] == {**summary(svc, STREET)["by_child"],
                                                COMMUNITY: {"grids": 5, "covered": 1, "active": 1,
                                                            "overdue_checkpoints": 0},
                                                SIBLING: {"grids": 5, "covered": 0, "active": 1,
                                                          "overdue_checkpoints": 0}}
    assert summary(svc, "nancheng")["covered"] == 0 and summary(svc, OTHER_GRID)["by_child"] == {}


def test_next_checkpoint_is_the_first_unreached_in_plan_order(svc):
    ingest(svc, started("PAT-1", COMMUNITY, T0, ROUTE))
    ingest(svc, checkpoint("PAT-1", "菜市场", GRID2, T0 + 25 * MIN))  # out of plan order
    s = summary(svc, now=T0 + 50 * MIN)
    assert s["patrols"][0]["next_checkpoint"]["name"] == "东门岗亭"
    assert [o["checkpoint"] for o in s["overdue_checkpoints"]] == ["东门岗亭"]
    assert s["covered"] == 1
    with Session(svc.engine) as session:
        state = session.exec(select(Item.state).where(Item.ref == "PAT-1")).one()
    assert [cp["out_of_order"] for cp in state["details"]["checkpoints"]] == [False, True, False]


def test_patrol_list_orders_by_next_checkpoint(svc):
    ingest(svc, started("PAT-LATE", COMMUNITY, T0, [("X", GRID1, T0 + 50 * MIN)]),
         started("PAT-SOON", GRID2, T0, [("Y", GRID2, T0 + 20 * MIN)]))
    assert [p["ref"] for p in summary(svc)["patrols"]] == ["PAT-SOON", "PAT-LATE"]
