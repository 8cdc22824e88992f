"""Every trend panel on a small hand-built March 2026, exact numbers, on SQLite
and PostgreSQL, through the real ingest API, sweep and alert actions.

The set includes late events (a case's acknowledgement arriving after days
of other cases' events; a report sent last), a reopened incident (its second
resolve is a new measurement dated by the reopen), an incident before the
window whose stages fall inside it (not counted: stages are dated by the day
their clock started), a checkpoint whose earlier reach is uploaded late
(coverage moves to the earlier day), a mediation transferred to another
channel, one withdrawn, and an alert escalated to the district.

Default policy: P1 acknowledge 5m / arrive 15m / resolve 4h; P2 15m / 1h /
24h; P3 1h / - / 3d; P4 4h / - / 7d; escalate after 10m; surge 3 in 1h.
Durations are reported as the upper edge of their histogram bin (minutes:
1-minute bins up to 1 h, 5 up to 6 h, 15 up to a day, 60 beyond); every
duration below sits on a bin edge, so the percentiles are exact.
"""
from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from dashboard.actions.alerts import Actor, do_acknowledge_alert
from dashboard.actions.sweep import do_sweep
from dashboard.store.queries import alerts_in
from tests.helpers import COMMUNITY, GRID, GRID2, OTHER_GRID, SIBLING_GRID
from tests.api.trends_helpers import codes

TOWN = "tuqiao"
_ids = itertools.count(1)
MARCH = ("2026-03-01", "2026-03-31")


def ev(kind: str, type: str, ref: str, unit: str, at: str, **fields) -> dict:
    event = {"id": f"x{next(_ids)}", "source": "test", "kind": kind, "type": type, "ref": ref, "unit": unit,
             "occurred_at": f"2026-{at}:00+08:00"}
    event.update(fields)
    return event


def inc(type: str, ref: str, unit: str, at: str, **fields) -> dict:
    return ev("incident", type, ref, unit, at, **fields)


def rep(ref: str, unit: str, at: str, category: str, priority: int, aspect: str | None = None) -> dict:
    extra = {"attributes": {"aspect": aspect}} if aspect else {}
    return inc("reported", ref, unit, at, category=category, priority=priority, title=f"{ref} {category}", **extra)


def med(type: str, ref: str, unit: str, at: str, **fields) -> dict:
    return ev("mediation", type, ref, unit, at, **fields)


def pat(type: str, ref: str, unit: str, at: str, **fields) -> dict:
    return ev("patrol", type, ref, unit, at, **fields)


def started(ref: str, at: str, checkpoints: list[tuple[str, str, str]]) -> dict:
    plan = [{"name": n, "unit": u, "due_at": f"2026-{due}:00+08:00"} for n, u, due in checkpoints]
    return pat("started", ref, COMMUNITY if ref != "P3" else "nancheng-longcheng", at,
               attributes={"team": "巡逻一队", "team_kind": "police", "checkpoints": plan})


def checkpoint(ref: str, unit: str, at: str, name: str) -> dict:
    return pat("checkpoint", ref, unit, at, attributes={"checkpoint": name})


@pytest.fixture
def march(trend_app, trend_post):
    """The events, sent in the order (and in the batches) below."""
    clock = trend_app.services.clock
    clock.set("2026-03-20T12:00:00+08:00")
    trend_post([rep("F", GRID, "02-28T23:50", "property_fee", 3), inc("acknowledged", "F", GRID, "03-01T00:20"),
          inc("resolved", "F", GRID, "03-01T10:00"), inc("closed", "F", GRID, "03-01T12:00")])
    trend_post([rep("A", GRID, "03-02T09:00", "parking", 2, "消防通道被占"), inc("acknowledged", "A", GRID, "03-02T09:10"),
          inc("arrived", "A", GRID, "03-02T09:50"), inc("resolved", "A", GRID, "03-02T20:00"),
          inc("closed", "A", GRID, "03-03T10:00"), rep("B", GRID2, "03-02T10:00", "sanitation", 3)])
    trend_post([rep("E", TOWN, "03-06T09:00", "neighbourhood_dispute", 4), inc("acknowledged", "E", TOWN, "03-06T15:00"),
          inc("resolved", "E", TOWN, "03-08T09:00")])
    trend_post([rep("C", SIBLING_GRID, "03-03T08:00", "parking", 1, "小区出入口乱停放"),
          inc("acknowledged", "C", SIBLING_GRID, "03-03T08:03"), inc("arrived", "C", SIBLING_GRID, "03-03T08:20"),
          inc("resolved", "C", SIBLING_GRID, "03-03T11:00"), inc("closed", "C", SIBLING_GRID, "03-03T12:00")])
    trend_post([rep("D", OTHER_GRID, "03-05T22:30", "public_order", 2)])
    # late: B's acknowledgement and resolution, after E's and C's
    trend_post([inc("acknowledged", "B", GRID2, "03-02T11:30"), inc("resolved", "B", GRID2, "03-04T09:00")])
    # C is reopened and resolved again, late (4h budget from the reopen)
    trend_post([inc("reopened", "C", SIBLING_GRID, "03-04T09:00"), inc("resolved", "C", SIBLING_GRID, "03-04T14:30"),
          inc("closed", "C", SIBLING_GRID, "03-04T16:00")])
    # late: D's acknowledgement and arrival
    trend_post([inc("acknowledged", "D", OTHER_GRID, "03-05T22:40"), inc("arrived", "D", OTHER_GRID, "03-05T23:50")])
    # mediations
    trend_post([med("accepted", "M1", COMMUNITY, "03-02T10:00", category="people"), med("accepted", "M2", GRID, "03-03T10:00", category="people"),
          med("accepted", "M3", OTHER_GRID, "03-04T10:00", category="judicial"),
          med("accepted", "M4", TOWN, "03-05T10:00", category="administrative"),
          med("session", "M1", COMMUNITY, "03-05T10:00"), med("closed", "M4", TOWN, "03-06T10:00"),
          med("agreed", "M2", GRID, "03-08T10:00"), med("closed", "M2", GRID, "03-09T10:00"),
          med("failed", "M1", COMMUNITY, "03-09T10:00"),
          med("transferred", "M1", COMMUNITY, "03-10T10:00", attributes={"to": "administrative"}),
          med("session", "M1", COMMUNITY, "03-12T10:00"), med("agreed", "M1", COMMUNITY, "03-15T10:00"),
          med("closed", "M1", COMMUNITY, "03-16T10:00"), med("failed", "M3", OTHER_GRID, "03-20T10:00"),
          med("transferred", "M3", OTHER_GRID, "03-21T10:00", attributes={"to": "litigation"}),
          med("closed", "M3", OTHER_GRID, "03-25T10:00")])
    # patrols; P2's cpY is first reported at 00:20 on the 3rd, then (late) at 23:58 on the 2nd
    trend_post([started("P1", "03-02T08:00", [("cpA", GRID, "03-02T08:30"), ("cpB", GRID2, "03-02T09:00"),
                                        ("cpC", GRID, "03-02T09:30")]),
          checkpoint("P1", GRID, "03-02T08:28", "cpA"), checkpoint("P1", GRID2, "03-02T09:20", "cpB"),
          pat("ended", "P1", COMMUNITY, "03-02T10:00"),
          started("P2", "03-02T20:00", [("cpX", GRID, "03-02T23:50"), ("cpY", GRID2, "03-03T00:30")]),
          checkpoint("P2", GRID2, "03-03T00:20", "cpY")])
    trend_post([checkpoint("P2", GRID, "03-02T23:55", "cpX"), checkpoint("P2", GRID2, "03-02T23:58", "cpY")])
    trend_post([started("P3", "03-05T09:00", [("cpN", OTHER_GRID, "03-05T09:30")]),
          checkpoint("P3", OTHER_GRID, "03-05T09:31", "cpN"), pat("ended", "P3", "nancheng-longcheng", "03-05T10:00")])
    # D's resolve deadline (03-06 22:30) is missed: raised, escalated twice, acknowledged at the district
    svc = trend_app.services
    for at in ("03-07T00:00", "03-07T00:10", "03-07T00:20"):
        do_sweep(svc, now=datetime.fromisoformat(f"2026-{at}:00+08:00"))
    alert = next(a for a in alerts_in(svc.engine, tree=svc.tree, unit="tongliang", state="all") if a["ref"] == "D")
    clock.set("2026-03-07T00:25:00+08:00")
    do_acknowledge_alert(svc, alert["id"], Actor("district-leader", "tongliang"), "派员督办")
    clock.set("2026-03-07T08:05:00+08:00")
    trend_post([inc("resolved", "D", OTHER_GRID, "03-07T08:00")])  # resolves the alert too
    # a surge: three sanitation reports in one grid within the hour (district alert at once)
    clock.set("2026-03-12T10:45:00+08:00")
    trend_post([rep("H1", GRID, "03-12T10:00", "sanitation", 4), rep("H2", GRID, "03-12T10:20", "sanitation", 4),
          rep("H3", GRID, "03-12T10:40", "sanitation", 4)])
    # late: G, reported on the 10th, sent last
    clock.set("2026-03-20T12:00:00+08:00")
    trend_post([rep("G", GRID2, "03-10T08:00", "parking", 2, "消防通道被占"), inc("acknowledged", "G", GRID2, "03-10T08:05"),
          inc("arrived", "G", GRID2, "03-10T08:30"), inc("resolved", "G", GRID2, "03-10T12:00")])
    return trend_app


STREETS_WITH_DATA = {"bachuan": 7, "nancheng": 1, "tuqiao": 1}


def test_units_panel(march, panel):
    rows = panel("units", "tongliang", *MARCH)
    assert len(rows) == 28 and all(r["scope"] == "sub" for r in rows)
    assert {r["unit"]: r["reported"] for r in rows if r["reported"]} == STREETS_WITH_DATA
    assert rows[0]["unit_name"] == "Bachuan Street"
    community = panel("units", "bachuan", *MARCH)
    assert {r["unit"]: r["reported"] for r in community if r["reported"]} == {COMMUNITY: 6, "bachuan-jinlong": 1}
    assert codes(panel("units", "bachuan", *MARCH, category="parking"), "unit", "reported")[:2] == [
        (COMMUNITY, 2), ("bachuan-jinlong", 1)]
    assert {r["unit"]: r["reported"] for r in panel("units", "tongliang", *MARCH, priority="2") if r["reported"]} == {
        "bachuan": 2, "nancheng": 1}


def test_volume_panel(march, panel):
    rows = panel("volume", "tongliang", *MARCH)
    assert codes(rows, "bucket", "category", "reported", "reopened") == [
        ("2026-03-02", "sanitation", 1, 0), ("2026-03-02", "parking", 1, 0), ("2026-03-03", "parking", 1, 0),
        ("2026-03-04", "parking", 0, 1), ("2026-03-05", "public_order", 1, 0),
        ("2026-03-06", "neighbourhood_dispute", 1, 0), ("2026-03-10", "parking", 1, 0),
        ("2026-03-12", "sanitation", 3, 0)]
    assert rows[0]["category_name"] == "Sanitation"
    # part of a month (day rows), one street
    assert codes(panel("volume", "bachuan", "2026-03-02", "2026-03-05"), "bucket", "category", "reported", "reopened") == [
        ("2026-03-02", "sanitation", 1, 0), ("2026-03-02", "parking", 1, 0), ("2026-03-03", "parking", 1, 0),
        ("2026-03-04", "parking", 0, 1)]
    # one day: by hour
    assert codes(panel("volume", COMMUNITY, "2026-03-12", "2026-03-12"), "bucket", "category", "reported") == [
        ("2026-03-12 10:00", "sanitation", 3)]
    # a grid (answered from its own events); February and March together: by day
    assert codes(panel("volume", GRID, "2026-02-01", "2026-03-31"), "bucket", "category", "reported") == [
        ("2026-02-28", "property_fee", 1), ("2026-03-02", "parking", 1), ("2026-03-12", "sanitation", 3)]
    # a year: by month
    assert codes(panel("volume", "tongliang", "2025-04-01", "2026-03-31", category="parking"),
                 "bucket", "category", "reported", "reopened") == [("2026-03", "parking", 3, 1)]


def test_ontime_panel(march, panel):
    rows = panel("ontime", "tongliang", *MARCH)
    assert codes(rows, "unit", "scope", "stage", "n", "on_time", "rate") == [
        ("bachuan", "sub", "acknowledge", 4, 3, 0.75), ("nancheng", "sub", "acknowledge", 1, 1, 1.0),
        ("tuqiao", "sub", "acknowledge", 1, 0, 0.0), ("tongliang", "total", "acknowledge", 6, 4, 0.6667),
        ("bachuan", "sub", "arrive", 3, 2, 0.6667), ("nancheng", "sub", "arrive", 1, 0, 0.0),
        ("tongliang", "total", "arrive", 4, 2, 0.5),
        # C counts twice: resolved on time, then reopened and resolved late
        ("bachuan", "sub", "resolve", 5, 4, 0.8), ("nancheng", "sub", "resolve", 1, 0, 0.0),
        ("tuqiao", "sub", "resolve", 1, 1, 1.0), ("tongliang", "total", "resolve", 7, 5, 0.7143)]
    street = panel("ontime", "bachuan", "2026-03-02", "2026-03-05")
    assert codes(street, "unit", "scope", "stage", "n", "on_time") == [
        (COMMUNITY, "sub", "acknowledge", 2, 1), ("bachuan-jinlong", "sub", "acknowledge", 1, 1),
        ("bachuan", "total", "acknowledge", 3, 2), (COMMUNITY, "sub", "arrive", 1, 1),
        ("bachuan-jinlong", "sub", "arrive", 1, 0), ("bachuan", "total", "arrive", 2, 1),
        (COMMUNITY, "sub", "resolve", 2, 2), ("bachuan-jinlong", "sub", "resolve", 2, 1),
        ("bachuan", "total", "resolve", 4, 3)]
    # only the reopen's resolve clock started on the 4th
    assert codes(panel("ontime", "bachuan-jinlong", "2026-03-04", "2026-03-04"), "unit", "stage", "n", "on_time") == [
        ("bachuan-jinlong-g01", "resolve", 1, 0), ("bachuan-jinlong", "resolve", 1, 0)]


def test_latency_panel(march, panel):
    rows = panel("latency", "tongliang", *MARCH)
    assert codes(rows, "stage", "priority", "n", "on_time", "p50_min", "p90_min", "deadline_min") == [
        ("acknowledge", "1", 1, 1, 3, 3, 5), ("acknowledge", "2", 3, 3, 10, 10, 15),
        ("acknowledge", "3", 1, 0, 90, 90, 60), ("acknowledge", "4", 1, 0, 360, 360, 240),
        ("acknowledge", "all", 6, 4, 10, 360, None),
        ("arrive", "1", 1, 0, 20, 20, 15), ("arrive", "2", 3, 2, 50, 80, 60), ("arrive", "all", 4, 2, 30, 80, None),
        ("resolve", "1", 2, 1, 180, 330, 240), ("resolve", "2", 3, 2, 660, 2040, 1440),
        ("resolve", "3", 1, 1, 2820, 2820, 4320), ("resolve", "4", 1, 1, 2880, 2880, 10080),
        ("resolve", "all", 7, 5, 660, 2880, None)]
    assert codes(panel("latency", "tongliang", *MARCH, priority="1,2", category="parking"),
                 "stage", "priority", "n", "p50_min", "p90_min") == [
        ("acknowledge", "1", 1, 3, 3), ("acknowledge", "2", 2, 5, 10), ("acknowledge", "all", 3, 5, 10),
        ("arrive", "1", 1, 20, 20), ("arrive", "2", 2, 30, 50), ("arrive", "all", 3, 30, 50),
        ("resolve", "1", 2, 180, 330), ("resolve", "2", 2, 240, 660), ("resolve", "all", 4, 240, 660)]


def test_escalations_panel(march, panel):
    rows = panel("escalations", "tongliang", *MARCH)
    assert codes(rows, "bucket", "action", "level", "n") == [
        ("2026-03-07", "raised", "community", 1), ("2026-03-07", "escalated", "street", 1),
        ("2026-03-07", "escalated", "district", 1), ("2026-03-07", "acknowledged", "district", 1),
        ("2026-03-07", "resolved", "district", 1), ("2026-03-12", "raised", "district", 1)]
    assert codes(panel("escalations", "bachuan", *MARCH), "bucket", "action", "level", "n") == [
        ("2026-03-12", "raised", "district", 1)]
    assert panel("escalations", "tongliang", *MARCH, category="parking") == []
    assert len(panel("escalations", "tongliang", *MARCH, priority="2")) == 5


def test_heatmap_panel(march, panel):
    rows = panel("heatmap", "tongliang", *MARCH)
    assert len(rows) == 168
    assert {(r["weekday"], r["hour"]): r["reported"] for r in rows if r["reported"]} == {
        (1, 9): 1, (1, 10): 1, (2, 8): 2, (4, 22): 1, (5, 9): 1, (4, 10): 3}


def test_problems_panel(march, panel):
    rows = panel("problems", "tongliang", *MARCH)
    assert codes(rows, "place", "total", "kinds", "aspects", "rank", "category", "aspect", "n") == [
        (COMMUNITY, 6, 2, 1, 1, "sanitation", "", 4), (COMMUNITY, 6, 2, 1, 2, "parking", "消防通道被占", 2),
        ("bachuan-jinlong", 1, 1, 1, 1, "parking", "小区出入口乱停放", 1),
        ("nancheng-longcheng", 1, 1, 0, 1, "public_order", "", 1),
        (TOWN, 1, 1, 0, 1, "neighbourhood_dispute", "", 1)]
    assert rows[0]["place_name"] == "Zhengjie Community"
    assert codes(panel("problems", "bachuan", *MARCH, priority="2"), "place", "category", "aspect", "n") == [
        (COMMUNITY, "parking", "消防通道被占", 2)]


def test_mediation_panel(march, panel):
    rows = panel("mediation", "tongliang", *MARCH)
    assert codes(rows, "channel", "measure", "n") == [
        ("people", "accepted", 2), ("people", "agreed", 1), ("people", "failed", 1), ("people", "to:administrative", 1),
        ("administrative", "accepted", 1), ("administrative", "agreed", 1), ("administrative", "withdrawn", 1),
        ("judicial", "accepted", 1), ("judicial", "failed", 1), ("judicial", "to:litigation", 1)]
    assert codes(panel("mediation", "bachuan", "2026-03-01", "2026-03-09"), "channel", "measure", "n") == [
        ("people", "accepted", 2), ("people", "agreed", 1), ("people", "failed", 1)]


def test_patrol_panel(march, panel):
    rows = panel("patrol", "tongliang", "2026-03-02", "2026-03-05")
    assert codes(rows, "day", "covered_grids", "total_grids", "coverage", "checkpoints", "late_checkpoints") == [
        ("2026-03-02", 2, 131, 0.0153, 4, 1), ("2026-03-03", 0, 131, 0.0, 0, 0),
        ("2026-03-04", 0, 131, 0.0, 0, 0), ("2026-03-05", 1, 131, 0.0076, 1, 0)]
    community = panel("patrol", COMMUNITY, "2026-03-02", "2026-03-03")
    assert codes(community, "day", "covered_grids", "total_grids", "checkpoints") == [
        ("2026-03-02", 2, 5, 4), ("2026-03-03", 0, 5, 0)]


def test_every_panel_equals_the_raw_log(march):
    """The same hand-built month, every panel and a few cuts: rollups == raw log."""
    from dashboard.domain.trends import Window
    from dashboard.domain.trend_rows import PANELS, TrendQuery
    from dashboard.actions.rollups import apply_pending_rollups
    from dashboard.store.trends import answer, answer_from_events
    from tests.api.trends_helpers import day

    svc = march.services
    apply_pending_rollups(svc)  # what a reader does first (dashboard.api.trends)
    for unit in ("tongliang", "bachuan", COMMUNITY, "nancheng", TOWN, GRID):
        for start, end in (MARCH, ("2026-03-02", "2026-03-05"), ("2026-03-12", "2026-03-12"), ("2025-12-01", "2026-03-31")):
            for cats, prios in (((), ()), (("parking",), ()), ((), (2,)), (("sanitation", "parking"), (2, 4))):
                q = TrendQuery(unit=unit, window=Window(day(start), day(end)), categories=cats, priorities=prios)
                for name in PANELS:
                    assert answer(svc.engine, name, tree=svc.tree, q=q).rows == \
                        answer_from_events(svc.engine, name, tree=svc.tree, q=q, policy=svc.policy).rows, (unit, start, end, cats, prios, name)
