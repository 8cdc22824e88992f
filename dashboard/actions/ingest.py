"""do_ingest_events: store a validated batch, update item state, announce.

All or nothing: every event of the batch is checked against the units and
its ref's lifecycle inside one transaction; one problem rolls back the whole
batch. Messages are announced only after the commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from datetime import timedelta

from sqlalchemy import tuple_
from sqlmodel import Session, col, func, select

from dashboard.actions.alerts import new_alert, raise_alerts, resolve_for_item
from dashboard.domain.clocks import compute_deadlines, cycle_of, freeze_budget, newly_met, next_due
from dashboard.domain.events import EventIn, Problem
from dashboard.domain.lifecycle import ItemState, LifecycleError, apply_event
from dashboard.domain.policy import format_duration
from dashboard.services import Services
from dashboard.store.models import Alert, Event, Item, Message
from dashboard.store.seq import SeqBlock
from dashboard.store.serialize import event_payload, item_summary


class IngestRejected(Exception):
    """The batch was refused; nothing was stored."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    results: list[dict] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)

    def body(self) -> dict:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "results": self.results}


def check_units(svc: Services, events: list[EventIn]) -> list[Problem]:
    problems = []
    for i, ev in enumerate(events):
        if ev.unit not in svc.tree:
            problems.append(Problem(index=i, field="unit", message=f"unknown unit {ev.unit!r} (see GET /api/v1/units)"))
        for j, cp in enumerate(ev.attributes.get("checkpoints") or []) if ev.kind == "patrol" else []:
            if isinstance(cp, dict) and cp.get("unit") not in svc.tree:
                problems.append(Problem(index=i, field=f"attributes.checkpoints[{j}].unit",
                                        message=f"unknown unit {cp.get('unit')!r}"))
    return problems


def do_ingest_events(svc: Services, events: list[EventIn]) -> IngestResult:
    problems = check_units(svc, events)
    if problems:
        raise IngestRejected(problems)
    now = svc.clock()
    with Session(svc.engine, expire_on_commit=False) as session:
        seqs = SeqBlock(session)
        result = _store_batch(session, svc, events, seqs, now)
        seqs.save()
        session.commit()
    svc.announcer.announce(result.messages)
    return result


def _store_batch(session: Session, svc: Services, events: list[EventIn], seqs: SeqBlock, now: datetime) -> IngestResult:
    known = _existing_seqs(session, events)
    items = _load_items(session, events)
    result = IngestResult()
    problems: list[Problem] = []
    for index, ev in enumerate(events):
        key = (ev.source, ev.id)
        if key in known:
            result.duplicates += 1
            result.results.append({"id": ev.id, "seq": known[key], "duplicate": True})
            continue
        row = items.get((ev.kind, ev.ref))
        try:
            state = apply_event(ItemState.from_dict(row.state) if row else None, ev)
        except LifecycleError as exc:
            problems.append(Problem(index=index, field=exc.field, message=exc.message))
            continue
        seq = seqs.next()
        known[key] = seq
        before = dict(row.state) if row else {}
        item = items[(ev.kind, ev.ref)] = _save_item(session, svc, row, state, seq)
        stored = _event_row(svc, ev, seq, now)
        session.add(stored)
        message = _message_row(svc, stored, item, now)
        session.add(message)
        result.accepted += 1
        result.results.append({"id": ev.id, "seq": seq})
        result.messages.append({"name": message.name, "seq": seq, "unit": message.unit, "data": message.payload})
        _settle_alerts(session, svc, seqs, before, item, now, result.messages)
        if ev.kind == "incident" and ev.type == "reported":
            _check_surge(session, svc, seqs, ev, item, now, result.messages)
    if problems:
        session.rollback()
        raise IngestRejected(problems)
    return result


def _existing_seqs(session: Session, events: list[EventIn]) -> dict[tuple[str, str], int]:
    keys = list({(ev.source, ev.id) for ev in events})
    found: dict[tuple[str, str], int] = {}
    for start in range(0, len(keys), 400):
        chunk = keys[start:start + 400]
        rows = session.exec(select(Event.source, Event.source_id, Event.seq)
                            .where(tuple_(Event.source, Event.source_id).in_(chunk))).all()
        found.update({(s, i): q for s, i, q in rows})
    return found


def _load_items(session: Session, events: list[EventIn]) -> dict[tuple[str, str], Item]:
    keys = list({(ev.kind, ev.ref) for ev in events})
    items: dict[tuple[str, str], Item] = {}
    for start in range(0, len(keys), 400):
        chunk = keys[start:start + 400]
        for row in session.exec(select(Item).where(tuple_(Item.kind, Item.ref).in_(chunk))).all():
            items[(row.kind, row.ref)] = row
    return items


def _save_item(session: Session, svc: Services, row: Item | None, state: ItemState, seq: int) -> Item:
    if row is None:
        row = Item(kind=state.kind, ref=state.ref, unit=state.unit, status=state.status, is_open=state.is_open,
                   opened_at=state.opened_at, updated_at=state.updated_at, last_seq=seq,
                   **svc.tree.scope(state.unit))
    row.status = state.status
    row.is_open = state.is_open
    row.category = state.category
    row.priority = state.priority
    row.title = state.title
    row.updated_at = state.updated_at
    row.last_seq = seq
    _set_clocks(svc, row, state)
    session.add(row)
    return row


def _set_clocks(svc: Services, row: Item, state: ItemState) -> None:
    """Deadlines from the budget frozen when the item opened (a later policy
    change does not move running clocks), and the sweep's `next_due`."""
    previous = row.state or {}
    budget = previous.get("budget") or freeze_budget(svc.policy, state)
    deadlines = compute_deadlines(state, budget)
    alerted = set(previous.get("alerted", []))
    row.state = {**state.to_dict(), "budget": budget, "deadlines": deadlines, "alerted": sorted(alerted)}
    row.next_due = next_due(deadlines, alerted, cycle_of(state)) if state.is_open else None


def _settle_alerts(session: Session, svc: Services, seqs: SeqBlock, before: dict, item: Item, now: datetime,
                   out: list[dict]) -> None:
    """An item that meets a late deadline, or closes, resolves its alerts for it."""
    if not before.get("alerted"):
        return
    subject = f"{item.kind}:{item.ref}"
    if not item.is_open:
        resolve_for_item(session, svc, seqs, subject=subject, stages=None, now=now, out=out)
        return
    met = newly_met(before.get("deadlines", {}), item.state.get("deadlines", {}))
    if met:
        resolve_for_item(session, svc, seqs, subject=subject, stages=met, now=now, out=out)


def _check_surge(session: Session, svc: Services, seqs: SeqBlock, ev: EventIn, item: Item, now: datetime,
                 out: list[dict]) -> None:
    """Several incidents of one category in one grid within the window: the
    early sign of a collective petition. A district alert at once."""
    policy = svc.policy
    since = ev.occurred_at - policy.surge_window
    session.flush()
    count = session.exec(select(func.count()).select_from(Event).where(
        Event.kind == "incident", Event.type == "reported", Event.unit == ev.unit,
        Event.category == ev.category, col(Event.occurred_at) > since)).one()
    if count < policy.surge_count:
        return
    subject = f"surge:{ev.unit}:{ev.category}"
    active = session.exec(select(Alert.id).where(Alert.subject == subject, col(Alert.active).is_(True))).first()
    if active is not None:
        return
    cycle = session.exec(select(func.count()).select_from(Alert).where(Alert.subject == subject)).one()
    budget = {"escalate_after": format_duration(policy.escalate_after),
              "ack_timeout": format_duration(policy.ack_timeout)}
    summary = {"kind": "incident", "ref": ev.ref, "unit": ev.unit, "category": ev.category,
               "priority": ev.priority, "title": ev.title}
    reason = f"surge: {count} {ev.category} incidents within {format_duration(policy.surge_window)}"
    alert = new_alert(svc, subject=subject, stage="surge", cycle=int(cycle), item=summary, start_level="district",
                      reason=reason, due_at=None, budget=budget, now=now)
    raise_alerts(session, svc, seqs, [alert], now=now, out=out)


def _event_row(svc: Services, ev: EventIn, seq: int, now: datetime) -> Event:
    return Event(
        seq=seq, source=ev.source, source_id=ev.id, kind=ev.kind, type=ev.type, ref=ev.ref, unit=ev.unit,
        occurred_at=ev.occurred_at, received_at=now, category=ev.category, priority=ev.priority,
        title=ev.title, description=ev.description, actor=ev.actor,
        lat=ev.location.lat if ev.location else None, lon=ev.location.lon if ev.location else None,
        attributes=ev.attributes, **svc.tree.scope(ev.unit),
    )


def _message_row(svc: Services, stored: Event, item: Item, now: datetime) -> Message:
    payload = event_payload(stored)
    payload["item"] = item_summary(item)
    return Message(seq=stored.seq, name="event", unit=stored.unit, created_at=now, payload=payload,
                   **svc.tree.scope(stored.unit))
