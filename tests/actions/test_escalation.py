"""Clocks, sweep and escalation with a moving clock (no sleeping).

The signature check (STYLE.md): every action's messages are exactly what the
stream replays, and the alert state after the messages equals the table.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dashboard.actions.alerts import Actor, AlertConflict, AlertForbidden, do_acknowledge_alert, do_resolve_alert
from dashboard.actions.ingest import do_ingest_events
from dashboard.actions.sweep import do_sweep
from dashboard.domain.events import EventIn
from dashboard.domain.policy import parse_policy
from dashboard.services import Services
from dashboard.store.queries import alerts_in, messages_after
from tests.fixtures import ESCALATING_POLICY as POLICY, GRID, make_services, seed_database

T0 = datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def svc(tmp_path) -> Services:
    return make_services(seed_database(f"sqlite:///{tmp_path}/db.sqlite", tmp_path), tmp_path, now=T0)


def report(svc: Services, ref: str, *, priority: int = 2, at: datetime = T0, category: str = "parking",
           unit: str = GRID, type_: str = "reported") -> None:
    svc.clock.now = max(svc.clock.now, at)
    do_ingest_events(svc, [EventIn.model_validate({
        "id": f"{ref}-{type_}", "source": "test", "kind": "incident", "type": type_, "ref": ref, "unit": unit,
        "occurred_at": at.isoformat(), "category": category, "priority": priority, "title": f"title {ref}"})])


def sweep_at(svc: Services, at: datetime) -> list[dict]:
    svc.clock.now = at
    start = len(svc.announcer.messages)
    do_sweep(svc, at)
    return [m["data"] for m in svc.announcer.messages[start:]]


def brief(alerts: list[dict]) -> list[tuple]:
    return [(a["action"], a["stage"], a["level"], a["holder"]) for a in alerts]


def test_every_stage_rises_community_street_district(svc):
    report(svc, "INC-1")
    assert sweep_at(svc, T0 + timedelta(minutes=14, seconds=59)) == []
    assert brief(sweep_at(svc, T0 + timedelta(minutes=15))) == [
        ("raised", "acknowledge", "community", "bachuan-zhengjie")]
    assert sweep_at(svc, T0 + timedelta(minutes=24)) == []
    assert brief(sweep_at(svc, T0 + timedelta(minutes=25))) == [
        ("escalated", "acknowledge", "street", "bachuan")]
    assert brief(sweep_at(svc, T0 + timedelta(minutes=35))) == [
        ("escalated", "acknowledge", "district", "tongliang")]
    assert sweep_at(svc, T0 + timedelta(minutes=59)) == []  # nothing above the district
    assert brief(sweep_at(svc, T0 + timedelta(hours=1))) == [("raised", "arrive", "community", "bachuan-zhengjie")]
    assert brief(sweep_at(svc, T0 + timedelta(hours=24, minutes=30))) == [
        ("raised", "resolve", "community", "bachuan-zhengjie"),
        ("escalated", "arrive", "street", "bachuan")]
    assert brief(sweep_at(svc, T0 + timedelta(hours=25))) == [
        ("escalated", "arrive", "district", "tongliang"), ("escalated", "resolve", "street", "bachuan")]


def test_sweeping_twice_raises_once(svc):
    grids = ["bachuan-zhengjie-g01", "bachuan-zhengjie-g02", "nancheng-longcheng-g01", "bachuan", "tongliang"]
    for i, grid in enumerate(grids):  # different grids: no surge
        report(svc, f"INC-{i}", unit=grid)
    at = T0 + timedelta(minutes=16)
    assert len(sweep_at(svc, at)) == 5
    assert sweep_at(svc, at) == []
    assert sweep_at(svc, at + timedelta(seconds=5)) == []
    assert len(alerts_in(svc.engine, tree=svc.tree, unit="tongliang")) == 5


def test_priority_one_starts_at_the_district(svc):
    report(svc, "INC-P1", priority=1)
    assert brief(sweep_at(svc, T0 + timedelta(minutes=5))) == [("raised", "acknowledge", "district", "tongliang")]


def test_late_acknowledgement_resolves_the_alert_and_stops_the_climb(svc):
    report(svc, "INC-1")
    sweep_at(svc, T0 + timedelta(minutes=15))
    svc.clock.now = T0 + timedelta(minutes=20)
    report(svc, "INC-1", type_="acknowledged", at=T0 + timedelta(minutes=20))
    resolved = [m["data"] for m in svc.announcer.messages if m["name"] == "alert" and m["data"]["action"] == "resolved"]
    assert [(a["stage"], a["resolved_by"]) for a in resolved] == [("acknowledge", "system")]
    assert sweep_at(svc, T0 + timedelta(minutes=40)) == []


def test_acknowledge_then_abandon_rearms_one_level_up(svc):
    report(svc, "INC-1")
    alert = sweep_at(svc, T0 + timedelta(minutes=15))[0]
    svc.clock.now = T0 + timedelta(minutes=16)
    acked = do_acknowledge_alert(svc, alert["id"], Actor("wang", "bachuan-zhengjie"), "on it")
    assert (acked["state"], acked["acknowledged_by"], acked["ack_note"]) == ("acknowledged", "wang", "on it")
    assert sweep_at(svc, T0 + timedelta(minutes=40)) == []  # acknowledged: no escalation
    rearmed = sweep_at(svc, T0 + timedelta(hours=2, minutes=16))
    again = [a for a in rearmed if a["stage"] == "acknowledge"]
    assert brief(again) == [("rearmed", "acknowledge", "street", "bachuan")]
    assert again[0]["state"] == "escalated"


def test_ack_permissions_and_conflicts(svc):
    report(svc, "INC-1", priority=1)
    alert = sweep_at(svc, T0 + timedelta(minutes=5))[0]
    with pytest.raises(AlertForbidden):
        do_acknowledge_alert(svc, alert["id"], Actor("li", "nancheng-longcheng"), None)
    with pytest.raises(AlertForbidden):  # a sibling grid of the same community is not an ancestor
        do_acknowledge_alert(svc, alert["id"], Actor("li", "bachuan-zhengjie-g02"), None)
    do_acknowledge_alert(svc, alert["id"], Actor("zhao", "bachuan"), "street takes it")
    with pytest.raises(AlertConflict):
        do_acknowledge_alert(svc, alert["id"], Actor("qian", "tongliang"), None)
    done = do_resolve_alert(svc, alert["id"], Actor("qian", "tongliang"), "closed out")
    assert (done["state"], done["resolved_by"]) == ("resolved", "qian")
    with pytest.raises(AlertConflict):
        do_resolve_alert(svc, alert["id"], Actor("qian", "tongliang"), None)


def test_policy_change_does_not_move_running_clocks(svc):
    report(svc, "INC-1")
    svc.policy = parse_policy(POLICY.replace("acknowledge: 15m", "acknowledge: 1m"))
    report(svc, "INC-2", at=T0)
    alerts = sweep_at(svc, T0 + timedelta(minutes=2))
    assert [a["ref"] for a in alerts] == ["INC-2"]


def test_surge_raises_one_district_alert(svc):
    for i in range(4):
        report(svc, f"INC-S{i}", at=T0 + timedelta(minutes=i * 10), priority=4)
    surges = [m["data"] for m in svc.announcer.messages if m["name"] == "alert" and m["data"]["stage"] == "surge"]
    assert brief(surges) == [("raised", "surge", "district", "tongliang")]
    assert surges[0]["unit"] == GRID


def test_messages_equal_the_replayed_stream(svc):
    report(svc, "INC-1", priority=1)
    for minutes in (5, 15, 30, 60):
        sweep_at(svc, T0 + timedelta(minutes=minutes))
    live = [(m["seq"], m["name"]) for m in svc.announcer.messages]
    replayed = [(m["seq"], m["name"]) for m in messages_after(svc.engine, tree=svc.tree, unit="bachuan-zhengjie", after=0)]
    assert live == replayed
    assert [s for s, _ in live] == sorted(s for s, _ in live)
    # snapshot after == the last message per alert
    last = {}
    for m in svc.announcer.messages:
        if m["name"] == "alert":
            last[m["data"]["id"]] = m["data"]
    table = {a["id"]: a for a in alerts_in(svc.engine, tree=svc.tree, unit="tongliang", state="all")}
    for alert_id, message in last.items():
        for key in ("state", "level", "holder", "seq"):
            assert table[alert_id][key] == message[key]
