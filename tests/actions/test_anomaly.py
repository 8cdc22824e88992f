"""A patrol's anomaly and the incident it found: exactly one incident per
anomaly, one `reported` event per incident, whether the source reports the
incident itself (before or after the anomaly, in one batch or two) or leaves
it to the dashboard (rule in dashboard/actions/patrols.py).

Needs the lead's patch: the lifecycle recording each anomaly's incident, and
ingest calling `dashboard.actions.patrols.anomaly_report` (see the report of
this work)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from dashboard.actions import ingest as ingest_module
from dashboard.actions.ingest import IngestRejected
from dashboard.domain.events import EventIn
from dashboard.store.models import Event, Item
from dashboard.store.queries import messages_after
from dashboard.store.patrol_mediation_stats import patrol_summary
from tests.actions.patrol_mediation_events import (COMMUNITY, GRID1, GRID2, MIN, T0, anomaly, checkpoint, event, ingest, local_day,
                                    reported, started, sweep_at)

ROUTE = [("东门岗亭", GRID1, T0 + 30 * MIN), ("菜市场", GRID2, T0 + 60 * MIN)]
DERIVED_SOURCE = "dashboard"


@pytest.fixture(autouse=True)
def _wired():
    if not hasattr(ingest_module, "anomaly_report"):
        pytest.fail("dashboard/actions/ingest.py does not call dashboard.actions.patrols.anomaly_report yet: "
                    "apply the lifecycle, events and ingest patch of the patrols/mediations report", pytrace=False)


def derived_id(ev: dict) -> str:
    from dashboard.actions.patrols import derived_id as derive
    return derive(EventIn.model_validate(ev))


def incidents(svc) -> dict[str, Item]:
    with Session(svc.engine) as session:
        return {i.ref: i for i in session.exec(select(Item).where(Item.kind == "incident")).all()}


def reports_of(svc, ref: str) -> list[tuple[str, str, str]]:
    with Session(svc.engine) as session:
        rows = session.exec(select(Event).where(Event.kind == "incident", Event.ref == ref).order_by(Event.seq)).all()
        return [(e.source, e.type, e.unit) for e in rows]


def anomalies(svc, unit: str = COMMUNITY) -> tuple[int, list[dict]]:
    s = patrol_summary(svc.engine, tree=svc.tree, unit=unit, day_start=local_day(T0)[0], day_end=local_day(T0)[1],
                       now=svc.clock())
    return s["anomalies_awaiting_report"], [(a["incident_ref"], a["reported"]) for p in s["patrols"]
                                            for a in p["anomalies"]]


def on_patrol(svc, ref="PAT-1"):
    ingest(svc, started(ref, COMMUNITY, T0, ROUTE))


def test_an_anomaly_without_a_ref_opens_its_own_incident(svc):
    on_patrol(svc)
    first = {**anomaly("PAT-1", GRID1, T0 + 10 * MIN), "location": {"lat": 29.84, "lon": 106.05}}
    ingest(svc, first)
    [(ref, inc)] = incidents(svc).items()
    assert ref == "PAT-1-A1"
    assert (inc.status, inc.unit, inc.category, inc.priority, inc.title, inc.is_open, inc.opened_at) == (
        "reported", GRID1, "patrol_finding", 3, "巡逻发现：乱停车", True, T0 + 10 * MIN)
    details = inc.state["details"]
    assert (details["patrol_ref"], details["opened_by"], details["source"], details["location"]["lat"]) == (
        "PAT-1", "anomaly", "patrol-app", 29.84)
    with Session(svc.engine) as session:
        stored = session.exec(select(Event).where(Event.ref == ref)).one()
    assert (stored.source, stored.source_id, stored.type, stored.actor) == (
        DERIVED_SOURCE, derived_id(first), "reported", "正街社区治安巡逻队")
    assert stored.attributes == {"patrol_ref": "PAT-1", "anomaly": {"source": "patrol-app", "id": first["id"]}}
    # the walls get the anomaly, then the incident it opened, in seq order, as the stream replays them
    messages = messages_after(svc.engine, tree=svc.tree, unit=COMMUNITY, after=0)
    assert [(m["data"]["kind"], m["data"]["type"], m["data"]["ref"]) for m in messages] == [
        ("patrol", "started", "PAT-1"), ("patrol", "anomaly", "PAT-1"), ("incident", "reported", "PAT-1-A1")]
    assert messages[-1]["data"]["item"]["details"]["patrol_ref"] == "PAT-1"
    assert [m["seq"] for m in svc.announcer.messages] == [m["seq"] for m in messages]
    assert anomalies(svc) == (0, [("PAT-1-A1", True)])
    # a second anomaly, a second incident; the first again is a duplicate and opens nothing
    ingest(svc, anomaly("PAT-1", GRID2, T0 + 20 * MIN, category="sanitation", priority=2))
    assert ingest(svc, first).duplicates == 1
    assert sorted(incidents(svc)) == ["PAT-1-A1", "PAT-1-A2"]
    second = incidents(svc)["PAT-1-A2"]
    assert (second.unit, second.category, second.priority) == (GRID2, "sanitation", 2)
    assert anomalies(svc) == (0, [("PAT-1-A1", True), ("PAT-1-A2", True)])


def test_the_incident_keeps_its_clocks_and_climbs_like_any_other(svc):
    on_patrol(svc)
    ingest(svc, anomaly("PAT-1", GRID1, T0 + 10 * MIN, priority=1, category="safety_hazard"))
    raised = sweep_at(svc, T0 + 15 * MIN)
    assert [(a["ref"], a["stage"], a["level"]) for a in raised] == [("PAT-1-A1", "acknowledge", "district")]
    ingest(svc, event("incident", "acknowledged", "PAT-1-A1", GRID1, T0 + 16 * MIN))
    assert incidents(svc)["PAT-1-A1"].status == "acknowledged"


@pytest.mark.parametrize("together", [False, True], ids=["two batches", "one batch"])
def test_an_anomaly_naming_the_sources_incident_waits_for_its_report(svc, together):
    on_patrol(svc)
    found = anomaly("PAT-1", GRID1, T0 + 10 * MIN, incident_ref="INC-77")
    report = reported("INC-77", GRID1, T0 + 10 * MIN + timedelta(seconds=1), category="garage_digging", priority=1,
                      source="patrol-app", actor="正街社区治安巡逻队", attributes={"patrol_ref": "PAT-1"})
    if together:
        ingest(svc, found, report)
    else:
        ingest(svc, found)
        assert incidents(svc) == {}
        assert anomalies(svc) == (1, [("INC-77", False)])  # awaiting the source's report
        ingest(svc, report)
    [(ref, inc)] = incidents(svc).items()
    assert (ref, inc.category, inc.priority, inc.state["details"]["patrol_ref"]) == (
        "INC-77", "garage_digging", 1, "PAT-1")
    assert "opened_by" not in inc.state["details"]
    assert reports_of(svc, "INC-77") == [("patrol-app", "reported", GRID1)]
    assert anomalies(svc) == (0, [("INC-77", True)])


@pytest.mark.parametrize("together", [False, True], ids=["two batches", "one batch"])
def test_a_report_before_the_anomaly_is_the_incident(svc, together):
    on_patrol(svc)
    report = reported("INC-9", GRID1, T0 + 9 * MIN, source="patrol-app", attributes={"patrol_ref": "PAT-1"})
    found = anomaly("PAT-1", GRID1, T0 + 10 * MIN, incident_ref="INC-9")
    if together:
        ingest(svc, report, found)
    else:
        ingest(svc, report)
        ingest(svc, found)
    [(ref, inc)] = incidents(svc).items()
    assert (ref, inc.state["details"]["patrol_ref"]) == ("INC-9", "PAT-1")
    assert reports_of(svc, "INC-9") == [("patrol-app", "reported", GRID1)]
    assert anomalies(svc) == (0, [("INC-9", True)])
    # a later event of the incident keeps the link
    ingest(svc, event("incident", "dispatched", "INC-9", GRID1, T0 + 12 * MIN))
    assert incidents(svc)["INC-9"].state["details"]["patrol_ref"] == "PAT-1"


def test_a_report_without_the_patrols_name_is_linked_from_the_patrol(svc):
    on_patrol(svc)
    ingest(svc, reported("INC-10", GRID1, T0 + 9 * MIN), anomaly("PAT-1", GRID1, T0 + 10 * MIN, incident_ref="INC-10"))
    assert "patrol_ref" not in incidents(svc)["INC-10"].state["details"]
    assert anomalies(svc) == (0, [("INC-10", True)])
    assert sorted(incidents(svc)) == ["INC-10"]


def test_a_second_report_of_the_dashboards_incident_is_refused(svc):
    on_patrol(svc)
    ingest(svc, anomaly("PAT-1", GRID1, T0 + 10 * MIN))
    with pytest.raises(IngestRejected) as info:
        ingest(svc, reported("PAT-1-A1", GRID1, T0 + 11 * MIN))
    assert [(p.field, p.message) for p in info.value.problems] == [(
        "ref", "incident PAT-1-A1 already exists (opened 2026-11-27T01:10:00+00:00); a second 'reported' cannot "
               "open it again")]


def test_an_incident_already_under_the_derived_ref_is_not_opened_again(svc):
    on_patrol(svc)
    ingest(svc, reported("PAT-1-A1", GRID2, T0 + 5 * MIN))
    ingest(svc, anomaly("PAT-1", GRID1, T0 + 10 * MIN))
    assert reports_of(svc, "PAT-1-A1") == [("grid-app", "reported", GRID2)]


def test_a_rejected_batch_opens_nothing(svc):
    on_patrol(svc)
    with pytest.raises(IngestRejected):
        ingest(svc, anomaly("PAT-1", GRID1, T0 + 10 * MIN), checkpoint("PAT-1", "nowhere", GRID1, T0 + 11 * MIN))
    assert incidents(svc) == {}
    with svc.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM event")).scalar_one() == 1
    ingest(svc, anomaly("PAT-1", GRID1, T0 + 10 * MIN))
    assert sorted(incidents(svc)) == ["PAT-1-A1"]


def test_replaying_the_log_gives_the_same_states(svc):
    """Everything the rule adds is in the event log: the lifecycle alone rebuilds every item."""
    from dashboard.domain.lifecycle import ItemState, apply_event

    on_patrol(svc)
    ingest(svc, anomaly("PAT-1", GRID1, T0 + 10 * MIN, incident_ref="INC-11"), anomaly("PAT-1", GRID2, T0 + 11 * MIN))
    ingest(svc, reported("INC-11", GRID1, T0 + 10 * MIN + timedelta(seconds=1), priority=2,
                         attributes={"patrol_ref": "PAT-1"}))
    with Session(svc.engine) as session:
        rows = session.exec(select(Event).order_by(Event.seq)).all()
        stored = {(i.kind, i.ref): ItemState.from_dict(i.state).to_dict() for i in session.exec(select(Item)).all()}
    replayed: dict[tuple[str, str], ItemState] = {}
    for row in rows:
        ev = EventIn.model_validate({
            "id": row.source_id, "source": row.source, "kind": row.kind, "type": row.type, "ref": row.ref,
            "unit": row.unit, "occurred_at": row.occurred_at.isoformat(), "category": row.category,
            "priority": row.priority, "title": row.title, "actor": row.actor, "attributes": row.attributes,
            **({"location": {"lat": row.lat, "lon": row.lon}} if row.lat is not None else {})})
        replayed[(ev.kind, ev.ref)] = apply_event(replayed.get((ev.kind, ev.ref)), ev)
    assert stored == {key: state.to_dict() for key, state in replayed.items()}
    assert sorted(ref for kind, ref in stored if kind == "incident") == ["INC-11", "PAT-1-A2"]


def test_the_fields_an_anomaly_gives_about_its_incident_are_checked():
    from dashboard.domain.events import parse_event

    def problems(**attributes):
        _, found = parse_event(0, anomaly("PAT-1", GRID1, T0, **attributes))
        return [(p.field, p.message) for p in found]

    too_long = problems(incident_ref="x" * 129)
    assert too_long == [("attributes.incident_ref", "the ref of the incident the source reports for this anomaly: "
                                                    "text of 1 to 128 characters")]
    assert problems(incident_ref=7) == problems(incident_ref=" ") == too_long
    assert problems(category="fire")[0][0] == "attributes.category"
    assert problems(priority=True) == problems(priority=5) == [
        ("attributes.priority", "an integer from 1 (urgent) to 4 (routine)")]
    assert problems(incident_ref="INC-1", category="parking", priority=2) == problems() == []
