"""do_ingest_events: store a validated batch, update item state, announce.

All or nothing: every event of the batch is checked against the units and
its ref's lifecycle inside one transaction; one problem rolls back the whole
batch. Messages are announced only after the commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import tuple_
from sqlmodel import Session, select

from dashboard.domain.events import EventIn, Problem
from dashboard.domain.lifecycle import ItemState, LifecycleError, apply_event
from dashboard.services import Services
from dashboard.store.models import Event, Item, Message
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
        items[(ev.kind, ev.ref)] = _save_item(session, svc, row, state, seq)
        stored = _event_row(svc, ev, seq, now)
        session.add(stored)
        message = _message_row(svc, stored, items[(ev.kind, ev.ref)], now)
        session.add(message)
        result.accepted += 1
        result.results.append({"id": ev.id, "seq": seq})
        result.messages.append({"name": message.name, "seq": seq, "unit": message.unit, "data": message.payload})
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
    row.state = state.to_dict()
    session.add(row)
    return row


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
