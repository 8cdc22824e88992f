"""Lifecycle of incidents, patrols and mediations (dashboard.domain.lifecycle)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from itertools import count
from typing import Any

import pytest

from dashboard.domain.events import EventIn
from dashboard.domain.lifecycle import (
    INCIDENT_STATUSES,
    MEDIATION_STATUSES,
    PATROL_STATUSES,
    ItemState,
    LifecycleError,
    apply_event,
    covered_grids,
    next_checkpoint,
)

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=timezone(timedelta(hours=8)))
_ids = count(1)


def ev(kind: str, type_: str, ref: str, minutes: float = 0, unit: str = "G-1", **extra: Any) -> EventIn:
    """An EventIn at T0 + minutes (Beijing time on the wire)."""
    raw: dict[str, Any] = {
        "id": f"e{next(_ids)}", "source": "test", "kind": kind, "type": type_, "ref": ref,
        "unit": unit, "occurred_at": (T0 + timedelta(minutes=minutes)).isoformat(),
    }
    raw.update(extra)
    return EventIn.model_validate(raw)


def run(*events: EventIn) -> ItemState:
    state: ItemState | None = None
    for event in events:
        state = apply_event(state, event)
    assert state is not None
    return state


def rejects(state: ItemState | None, event: EventIn, field: str, *words: str) -> LifecycleError:
    with pytest.raises(LifecycleError) as info:
        apply_event(state, event)
    err = info.value
    assert err.field == field
    assert str(err) == err.message
    for word in words:
        assert word in err.message
    return err


def utc(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).astimezone(timezone.utc).isoformat()


# --- incidents ------------------------------------------------------------

def reported(ref: str = "I-1", minutes: float = 0, **extra: Any) -> EventIn:
    fields = {"category": "parking", "priority": 2, "title": "车辆堵塞消防通道"} | extra
    return ev("incident", "reported", ref, minutes, **fields)


def inc(type_: str, minutes: float, ref: str = "I-1", **extra: Any) -> EventIn:
    return ev("incident", type_, ref, minutes, **extra)


def test_incident_happy_path() -> None:
    state = run(reported(location={"lat": 29.8, "lon": 106.05}), inc("dispatched", 2), inc("acknowledged", 4),
                inc("arrived", 12), inc("resolved", 60), inc("closed", 120))
    assert state.status == "closed" and not state.is_open
    assert (state.kind, state.ref, state.unit) == ("incident", "I-1", "G-1")
    assert (state.category, state.priority, state.title) == ("parking", 2, "车辆堵塞消防通道")
    assert state.opened_at == T0 and state.opened_at.utcoffset() == timedelta(0)
    assert state.updated_at == T0 + timedelta(minutes=120)
    assert state.stages == {"reported": utc(0), "dispatched": utc(2), "acknowledged": utc(4),
                            "arrived": utc(12), "resolved": utc(60), "closed": utc(120)}
    assert state.details["reopen_count"] == 0
    assert state.details["location"]["lat"] == 29.8


def test_incident_open_statuses() -> None:
    state = run(reported())
    assert state.is_open
    for type_, is_open in (("dispatched", True), ("arrived", True), ("resolved", False), ("reopened", True)):
        state = apply_event(state, inc(type_, 5))
        assert state.status == type_ and state.is_open is is_open
    assert set(INCIDENT_STATUSES) == {"reported", "dispatched", "acknowledged", "arrived", "resolved", "closed", "reopened"}


def test_incident_forward_skip_allowed() -> None:
    state = run(reported(), inc("arrived", 10))
    assert state.status == "arrived"
    assert set(state.stages) == {"reported", "arrived"}


def test_incident_backwards_rejected() -> None:
    state = run(reported(), inc("arrived", 10))
    rejects(state, inc("dispatched", 11), "type", "incident I-1 is already arrived", "'dispatched' cannot follow")


def test_incident_repeat_rejected() -> None:
    state = run(reported(), inc("dispatched", 1))
    rejects(state, inc("dispatched", 2), "type", "already dispatched")


def test_incident_second_report_rejected() -> None:
    state = run(reported())
    rejects(state, reported(minutes=1), "ref", "incident I-1 already exists", "'reported'")


def test_event_on_unknown_ref_rejected() -> None:
    rejects(None, inc("dispatched", 1, ref="I-404"), "ref", "incident I-404 does not exist", "'dispatched'")
    rejects(None, ev("patrol", "position", "P-404"), "ref", "patrol P-404", "'started'")
    rejects(None, ev("mediation", "agreed", "M-404"), "ref", "mediation M-404", "'accepted'")


def test_nothing_but_reopen_after_closed() -> None:
    state = run(reported(), inc("resolved", 30), inc("closed", 60))
    rejects(state, inc("arrived", 61), "type", "incident I-1 is closed", "only 'reopened'")


def test_reopen_from_resolved_and_closed() -> None:
    state = run(reported(), inc("dispatched", 1), inc("resolved", 30), inc("closed", 60), inc("reopened", 90))
    assert state.status == "reopened" and state.is_open
    assert "resolved" not in state.stages and "closed" not in state.stages
    assert state.stages["dispatched"] == utc(1)
    assert state.details["reopen_count"] == 1 and state.details["reopened_at"] == utc(90)
    # After a reopen, forward moves work again; first dispatch time kept; resolved re-recorded.
    state = run(reported(), inc("dispatched", 1), inc("resolved", 30), inc("reopened", 40),
                inc("dispatched", 41), inc("resolved", 80), inc("reopened", 85))
    assert state.stages["dispatched"] == utc(1)
    assert state.details["reopen_count"] == 2 and state.details["reopened_at"] == utc(85)
    state = apply_event(state, inc("resolved", 95))
    assert state.stages["resolved"] == utc(95)


def test_reopen_only_from_resolved_or_closed() -> None:
    state = run(reported(), inc("arrived", 10))
    rejects(state, inc("reopened", 11), "type", "incident I-1 is arrived", "resolved or closed")


def test_unit_mismatch_rejected() -> None:
    state = run(reported())
    rejects(state, inc("dispatched", 1, unit="G-2"), "unit", "belongs to unit G-1", "from unit G-2")


def test_kind_mismatch_rejected() -> None:
    state = run(reported())
    rejects(state, ev("mediation", "session", "I-1", 1), "kind", "I-1 is of kind incident, not mediation")


def test_event_before_opening_rejected() -> None:
    state = run(reported())
    rejects(state, inc("dispatched", -5), "occurred_at", "cannot precede its opening", utc(0))


def test_late_event_keeps_latest_updated_at() -> None:
    state = run(reported(), inc("arrived", 30), inc("resolved", 20))
    assert state.status == "resolved"
    assert state.updated_at == T0 + timedelta(minutes=30)
    assert state.stages["resolved"] == utc(20)


def test_later_events_do_not_change_opening_fields() -> None:
    state = run(reported(), inc("dispatched", 1, priority=1, title="x"))
    assert (state.priority, state.title) == (2, "车辆堵塞消防通道")


# --- immutability and JSON ------------------------------------------------

def test_apply_event_never_mutates_input() -> None:
    before = run(reported(), inc("resolved", 30))
    snapshot = before.to_dict()
    after = apply_event(before, inc("reopened", 40))
    assert before.to_dict() == snapshot
    assert after is not before and after.stages is not before.stages and after.details is not before.details

    patrol = run(started())
    snapshot = patrol.to_dict()
    moved = apply_event(patrol, ev("patrol", "checkpoint", "P-1", 10, attributes={"checkpoint": "A"}))
    apply_event(moved, ev("patrol", "anomaly", "P-1", 11))
    assert patrol.to_dict() == snapshot
    with pytest.raises(LifecycleError):
        apply_event(patrol, ev("patrol", "checkpoint", "P-1", 12, attributes={"checkpoint": "Z"}))
    assert patrol.to_dict() == snapshot


def test_started_attributes_not_shared_with_state() -> None:
    event = started()
    state = apply_event(None, event)
    state = apply_event(state, ev("patrol", "checkpoint", "P-1", 10, attributes={"checkpoint": "A"}))
    assert "reached_at" not in event.attributes["checkpoints"][0]


@pytest.mark.parametrize("state_fn", [
    lambda: run(reported(location={"lat": 29.8, "lon": 106.05}), inc("resolved", 30), inc("reopened", 40)),
    lambda: run(started(), ev("patrol", "checkpoint", "P-1", 10, attributes={"checkpoint": "B"})),
    lambda: run(accepted(), med("transferred", 5, attributes={"to": "judicial"}), med("session", 6)),
])
def test_json_round_trip(state_fn: Any) -> None:
    state = state_fn()
    text = json.dumps(state.to_dict(), ensure_ascii=False)
    back = ItemState.from_dict(json.loads(text))
    assert back == state
    assert back.is_open == state.is_open
    assert back.opened_at.tzinfo is not None


# --- patrols --------------------------------------------------------------

def plan(*names_units_minutes: tuple[str, str, float]) -> list[dict[str, str]]:
    return [{"name": n, "unit": u, "due_at": (T0 + timedelta(minutes=m)).isoformat()} for n, u, m in names_units_minutes]


def started(ref: str = "P-1", minutes: float = 0, checkpoints: list[dict[str, str]] | None = None) -> EventIn:
    checkpoints = checkpoints or plan(("A", "G-1", 15), ("B", "G-2", 30), ("C", "G-3", 45))
    return ev("patrol", "started", ref, minutes, title="夜间巡逻",
              attributes={"team": "巴川派出所一组", "team_kind": "police", "checkpoints": checkpoints})


def pat(type_: str, minutes: float, unit: str = "G-1", **extra: Any) -> EventIn:
    return ev("patrol", type_, "P-1", minutes, unit=unit, **extra)


def test_patrol_happy_path() -> None:
    state = run(started())
    assert state.status == "active" and state.is_open and state.category is None
    assert next_checkpoint(state)["name"] == "A"
    state = run(started(), pat("checkpoint", 10, attributes={"checkpoint": "A"}),
                pat("position", 20, unit="G-2", location={"lat": 29.81, "lon": 106.06}),
                pat("checkpoint", 28, unit="G-2", attributes={"checkpoint": "B"}),
                pat("anomaly", 35, unit="G-2", attributes={"incident_ref": "I-9"}),
                pat("anomaly", 36, unit="G-2"))
    d = state.details
    assert (d["team"], d["team_kind"]) == ("巴川派出所一组", "police")
    assert [c["reached_at"] for c in d["checkpoints"]] == [utc(10), utc(28), None]
    assert d["checkpoints"][1]["reached_unit"] == "G-2" and d["checkpoints"][0]["due_at"] == utc(15)
    assert d["positions"] == 1 and d["last_position"] == {"lat": 29.81, "lon": 106.06, "at": utc(20)}
    assert [(a["incident_ref"], a["unit"]) for a in d["anomalies"]] == [("I-9", "G-2"), ("P-1-A2", "G-2")]
    assert d["anomalies"][0]["event_id"].startswith("e")
    assert next_checkpoint(state)["name"] == "C"
    state = apply_event(state, pat("ended", 60))
    assert state.status == "ended" and not state.is_open and state.stages["ended"] == utc(60)
    assert next_checkpoint(state) is None
    assert set(PATROL_STATUSES) == {"active", "ended"}


def test_patrol_unknown_checkpoint_rejected() -> None:
    state = run(started())
    rejects(state, pat("checkpoint", 5, attributes={"checkpoint": "Q"}), "attributes.checkpoint",
            "patrol P-1 has no planned checkpoint 'Q'", "A, B, C")


def test_patrol_checkpoint_twice_keeps_first_time() -> None:
    state = run(started(), pat("checkpoint", 10, attributes={"checkpoint": "A"}),
                pat("checkpoint", 20, attributes={"checkpoint": "A"}))
    assert state.details["checkpoints"][0]["reached_at"] == utc(10)
    assert state.updated_at == T0 + timedelta(minutes=20)


def test_patrol_out_of_order_recorded() -> None:
    state = run(started(), pat("checkpoint", 10, unit="G-3", attributes={"checkpoint": "C"}))
    flags = {c["name"]: c["out_of_order"] for c in state.details["checkpoints"]}
    assert flags == {"A": False, "B": False, "C": True}
    assert next_checkpoint(state)["name"] == "A"
    state = run(started(), pat("checkpoint", 10, attributes={"checkpoint": "A"}),
                pat("checkpoint", 20, unit="G-2", attributes={"checkpoint": "B"}))
    assert not any(c["out_of_order"] for c in state.details["checkpoints"])


def test_patrol_late_position_does_not_overwrite_newer() -> None:
    state = run(started(), pat("position", 20, location={"lat": 1, "lon": 1}),
                pat("position", 10, location={"lat": 2, "lon": 2}))
    assert state.details["last_position"]["lat"] == 1 and state.details["positions"] == 2


def test_patrol_nothing_after_ended() -> None:
    state = run(started(), pat("ended", 60))
    for type_, extra in (("position", {}), ("anomaly", {}), ("checkpoint", {"attributes": {"checkpoint": "A"}}),
                         ("ended", {})):
        rejects(state, pat(type_, 61, **extra), "type", "patrol P-1 has ended", f"'{type_}' cannot follow")


def test_patrol_unit_rules() -> None:
    state = run(started())
    state = apply_event(state, pat("position", 1, unit="G-9"))  # roaming events may come from anywhere
    rejects(state, pat("ended", 2, unit="G-9"), "unit", "belongs to unit G-1")
    rejects(state, started(minutes=3), "ref", "patrol P-1 already exists")


def test_patrol_duplicate_checkpoint_names_rejected() -> None:
    rejects(None, started(checkpoints=plan(("A", "G-1", 5), ("A", "G-2", 10))),
            "attributes.checkpoints[1].name", "'A' is planned twice")


def test_covered_grids_patrol_crossing_midnight() -> None:
    # Beijing-time days; the patrol starts 23:30 on the 27th and ends 00:40 on the 28th.
    cst = timezone(timedelta(hours=8))
    start = datetime(2026, 11, 27, 23, 30, tzinfo=cst)
    minutes = (start - T0).total_seconds() / 60
    checkpoints = [{"name": n, "unit": u, "due_at": (start + timedelta(minutes=m)).isoformat()}
                   for n, u, m in (("A", "G-1", 10), ("B", "G-2", 40), ("C", "G-3", 60))]
    state = run(started(minutes=minutes, checkpoints=checkpoints),
                pat("checkpoint", minutes + 10, attributes={"checkpoint": "A"}),
                pat("checkpoint", minutes + 30, unit="G-2", attributes={"checkpoint": "B"}),  # exactly midnight
                pat("checkpoint", minutes + 70, unit="G-3", attributes={"checkpoint": "C"}),
                pat("ended", minutes + 70))
    day27 = datetime(2026, 11, 27, tzinfo=cst)
    day28, day29 = day27 + timedelta(days=1), day27 + timedelta(days=2)
    incident = run(reported())
    assert covered_grids([state, incident], day27, day28) == {"G-1"}
    assert covered_grids([state], day28, day29) == {"G-2", "G-3"}
    assert covered_grids([state], day29, day29 + timedelta(days=1)) == set()
    with pytest.raises(ValueError):
        covered_grids([state], datetime(2026, 11, 27), datetime(2026, 11, 28))


def test_covered_grids_uses_unit_where_reached() -> None:
    state = run(started(), pat("checkpoint", 10, unit="G-7", attributes={"checkpoint": "A"}))
    assert covered_grids([state], T0 - timedelta(hours=1), T0 + timedelta(hours=1)) == {"G-7"}


# --- mediations -----------------------------------------------------------

def accepted(ref: str = "M-7", channel: str = "people") -> EventIn:
    return ev("mediation", "accepted", ref, 0, category=channel, title="邻里噪音纠纷")


def med(type_: str, minutes: float, **extra: Any) -> EventIn:
    return ev("mediation", type_, "M-7", minutes, **extra)


def test_mediation_happy_path_agreed() -> None:
    state = run(accepted())
    assert (state.status, state.category, state.is_open) == ("accepted", "people", True)
    assert state.details == {"path": ["people"], "sessions": 0, "last_session_at": None, "outcome": None}
    state = run(accepted(), med("session", 60), med("session", 120))
    assert (state.status, state.details["sessions"], state.is_open) == ("in_mediation", 2, True)
    assert state.details["last_session_at"] == utc(120) and state.stages["in_mediation"] == utc(60)
    state = apply_event(state, med("agreed", 130))
    assert state.status == "agreed" and not state.is_open
    state = apply_event(state, med("closed", 200))
    assert (state.status, state.details["outcome"], state.is_open) == ("closed", "agreed", False)
    assert set(state.stages) == {"accepted", "in_mediation", "agreed", "closed"}
    assert set(MEDIATION_STATUSES) == {"accepted", "in_mediation", "agreed", "failed", "transferred", "closed"}


@pytest.mark.parametrize(("events", "outcome"), [
    (("failed",), "failed"),
    (("session",), "withdrawn"),
    ((), "withdrawn"),
])
def test_mediation_close_outcomes(events: tuple[str, ...], outcome: str) -> None:
    state = run(accepted(), *(med(t, i + 1) for i, t in enumerate(events)), med("closed", 50))
    assert state.details["outcome"] == outcome


def test_mediation_transfer_path() -> None:
    state = run(accepted(), med("session", 10), med("failed", 20),
                med("transferred", 30, attributes={"to": "administrative"}))
    assert (state.status, state.category, state.is_open) == ("in_mediation", "administrative", True)
    state = run(accepted(), med("session", 10), med("failed", 20),
                med("transferred", 30, attributes={"to": "administrative"}), med("session", 40),
                med("transferred", 50, attributes={"to": "judicial"}),
                med("transferred", 60, attributes={"to": "litigation"}))
    assert state.details["path"] == ["people", "administrative", "judicial", "litigation"]
    assert (state.status, state.category, state.is_open) == ("transferred", "judicial", True)
    assert state.details["sessions"] == 2 and state.stages["transferred"] == utc(30)
    rejects(state, med("session", 61), "type", "mediation M-7 is transferred", "'session'")
    rejects(state, med("transferred", 61, attributes={"to": "police"}), "type", "is transferred")
    state = apply_event(state, med("closed", 70))
    assert (state.status, state.details["outcome"], state.is_open) == ("closed", "transferred", False)


def test_mediation_transfer_to_same_channel_rejected() -> None:
    state = run(accepted(), med("session", 10))
    rejects(state, med("transferred", 11, attributes={"to": "people"}), "attributes.to",
            "mediation M-7 is already in the people channel")


def test_mediation_agreed_or_failed_only_while_mediating() -> None:
    state = run(accepted(), med("agreed", 10))
    rejects(state, med("failed", 11), "type", "mediation M-7 is agreed", "'failed'")
    rejects(state, med("session", 11), "type", "is agreed")
    rejects(state, med("transferred", 11, attributes={"to": "judicial"}), "type", "is agreed")


def test_mediation_nothing_after_closed() -> None:
    state = run(accepted(), med("closed", 10))
    rejects(state, med("agreed", 11), "type", "mediation M-7 is closed; 'agreed' cannot follow")
    rejects(state, med("closed", 12), "type", "is closed")
    rejects(state, accepted(), "ref", "already exists")


def test_mediation_unit_mismatch_rejected() -> None:
    state = run(accepted())
    rejects(state, med("session", 1, unit="G-2"), "unit", "mediation M-7 belongs to unit G-1")
