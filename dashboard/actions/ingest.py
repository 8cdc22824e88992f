"""do_ingest_events: store a validated batch, update item state, announce.

All or nothing: every event of the batch is checked against the units and
its ref's lifecycle inside one transaction; one problem rolls back the whole
batch. Rows are written in bulk (one statement per table and batch, COPY on
PostgreSQL: the ORM's per-object cost dominated ingest), and messages are
announced only after the commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator

from sqlalchemy import String, bindparam, func, literal_column, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session

from dashboard import metrics
from dashboard.actions.alerts import resolve_for_item
from dashboard.actions.context import WriteContext, after_commit
from dashboard.actions.patrols import anomaly_report
from dashboard.actions.rollups import record_item_change
from dashboard.actions.surge import raise_surge_alerts
from dashboard.domain.clocks import compute_deadlines, cycle_of, freeze_budget, newly_met, next_due
from dashboard.domain.departments import check_department
from dashboard.domain.events import EventIn, Problem
from dashboard.domain.lifecycle import ItemState, LifecycleError, apply_event
from dashboard.domain.messages import Outbound
from dashboard.services import Services
from dashboard.store import rollups
from dashboard.store.bulk import insert_rows, is_postgresql
from dashboard.store.models import Event, Item, Message
from dashboard.store.seq import SeqBlock
from dashboard.store.serialize import event_message, item_summary

ITEMS = Item.__table__
ITEM_COLUMNS = [c.name for c in ITEMS.columns]
# Statements built once (building them per request cost more CPU than SQLite took to run them).
# Looked up as `first = ? AND second IN (...)`, one statement per first column value: a
# row-value `(a, b) IN (VALUES ...)` is a full table scan on SQLite (the cost of every
# ingest then grew with the table); this form uses the unique indexes on both databases.
_SEQS_OF_KEYS = select(Event.source, Event.source_id, Event.seq).where(
    Event.source == bindparam("first"), Event.source_id.in_(bindparam("seconds", expanding=True)))
_ITEMS_OF_KEYS = select(ITEMS).where(
    ITEMS.c.kind == bindparam("first"), ITEMS.c.ref.in_(bindparam("seconds", expanding=True)))
_KEYS_PER_STATEMENT = 500


def _pg_of_keys(columns: list[Any], first: Any, second: Any) -> Any:
    """PostgreSQL: one index lookup per key pair, all pairs in one statement (two array parameters).
    `first = ? AND second IN (...)` let the planner, on a table not yet ANALYZEd (autovacuum lags
    a growing table), read every row of `first` and filter them: once psycopg prepared it, the
    generic plan compared each row with all 500 parameters (480 ms at 30,000 events). A LATERAL
    subquery with LIMIT cannot be flattened into a hash join: its only plan is the unique index."""
    keys = func.unnest(bindparam("firsts", type_=ARRAY(String)), bindparam("seconds", type_=ARRAY(String))) \
        .table_valued("first", "second").render_derived(name="k")
    found = select(*columns).where(first == keys.c.first, second == keys.c.second) \
        .limit(literal_column("1")).lateral("found")
    return select(found).select_from(keys.join(found, true()))


_PG_SEQS_OF_KEYS = _pg_of_keys([Event.source, Event.source_id, Event.seq], Event.source, Event.source_id)
_PG_ITEMS_OF_KEYS = _pg_of_keys([ITEMS], ITEMS.c.kind, ITEMS.c.ref)
_UPDATE_ITEMS = update(ITEMS).where(ITEMS.c.id == bindparam("_id")).values(
    {c: bindparam(f"_{c}") for c in ITEM_COLUMNS if c != "id"})
EVENTS, MESSAGES = Event.__table__, Message.__table__


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
    messages: list[Outbound] = field(default_factory=list)

    def body(self) -> dict:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "results": self.results}


@dataclass
class Applied:
    """One accepted event: its row values and the item's state before and after."""

    event: EventIn
    row: dict
    before: dict
    item: dict


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


def check_departments(svc: Services, events: list[EventIn]) -> list[Problem]:
    """A `dispatched` incident that names a department names one of the list (optional:
    sources that do not say whom they dispatched still may; the scorecard then cannot count it)."""
    problems = []
    for i, ev in enumerate(events):
        if ev.kind == "incident" and ev.type == "dispatched" and "department" in ev.attributes:
            why = check_department(ev.attributes["department"], svc.departments)
            if why:
                problems.append(Problem(index=i, field="attributes.department", message=why))
    return problems


def do_ingest_events(svc: Services, events: list[EventIn]) -> IngestResult:
    try:
        result = _ingest(svc, events)
    except IngestRejected as exc:
        _count(exc)
        raise
    _count(result)
    after_commit(svc, result.messages)
    return result


def _count(outcome: IngestResult | IngestRejected) -> None:
    if isinstance(outcome, IngestRejected):
        metrics.EVENTS_REJECTED.inc(len(outcome.problems))
    else:
        metrics.EVENTS_ACCEPTED.inc(outcome.accepted)
        metrics.EVENTS_DUPLICATE.inc(outcome.duplicates)


def _ingest(svc: Services, events: list[EventIn]) -> IngestResult:
    problems = check_units(svc, events) + check_departments(svc, events)
    if problems:
        raise IngestRejected(problems)
    now = svc.clock()
    with Session(svc.engine) as session:
        seqs = SeqBlock(session, expect=len(events))
        result = _store_batch(session, svc, events, seqs, now)
        rollups.flush(session)
        seqs.save()
        session.commit()
    return result


def do_ingest_requests(svc: Services, requests: list[list[EventIn]]) -> list[IngestResult | IngestRejected]:
    """Several requests' batches in one transaction and one commit (group commit, see
    dashboard.actions.group_commit), each still all or nothing: the outcome per request
    is its IngestResult, or the IngestRejected it would have got alone, processed in
    this order. Seqs follow the request order; messages are announced once, after the commit."""
    outcomes: list[IngestResult | IngestRejected | None] = [None] * len(requests)
    for i, events in enumerate(requests):
        problems = check_units(svc, events) + check_departments(svc, events)
        if problems:
            outcomes[i] = IngestRejected(problems)
    now = svc.clock()
    with Session(svc.engine) as session:
        taking = [i for i, o in enumerate(outcomes) if o is None]
        seqs = SeqBlock(session, expect=sum(len(requests[i]) for i in taking))
        start = seqs.last
        while taking:
            try:
                combined = _store_batch(session, svc, [ev for i in taking for ev in requests[i]], seqs, now)
                break
            except IngestRejected as exc:  # reject the first failing request, check the rest again without it
                seqs.rewind(start)  # nothing was written yet: the numbers are free again
                rollups.discard(session)
                first, problems = _first_request_problems(requests, taking, exc.problems)
                outcomes[first] = IngestRejected(problems)
                taking.remove(first)
        else:  # every request rejected; nothing to commit
            for outcome in outcomes:
                _count(outcome)  # type: ignore[arg-type]
            return outcomes  # type: ignore[return-value]
        rollups.flush(session)
        seqs.save()
        session.commit()
    after_commit(svc, combined.messages)
    for i, result in zip(taking, _split_results(combined, [len(requests[i]) for i in taking])):
        outcomes[i] = result
    for outcome in outcomes:
        _count(outcome)  # type: ignore[arg-type]
    return outcomes  # type: ignore[return-value]


def _first_request_problems(requests: list[list[EventIn]], taking: list[int],
                            problems: list[Problem]) -> tuple[int, list[Problem]]:
    """The first request (in `taking` order) with a problem, and its problems, indexed within it."""
    first_index = min(p.index for p in problems)
    offset = 0
    for i in taking:
        if first_index < offset + len(requests[i]):
            mine = [p.model_copy(update={"index": p.index - offset}) for p in problems
                    if offset <= p.index < offset + len(requests[i])]
            return i, mine
        offset += len(requests[i])
    raise AssertionError("a problem outside every request")


def _split_results(combined: IngestResult, sizes: list[int]) -> list[IngestResult]:
    """One result per request: each event has exactly one entry in `combined.results`, in order."""
    out, offset = [], 0
    for size in sizes:
        mine = combined.results[offset:offset + size]
        duplicates = sum(1 for r in mine if r.get("duplicate"))
        out.append(IngestResult(accepted=size - duplicates, duplicates=duplicates, results=mine))
        offset += size
    return out


def _store_batch(session: Session, svc: Services, events: list[EventIn], seqs: SeqBlock, now: datetime) -> IngestResult:
    known = _existing_seqs(session, events)
    items = _load_items(session, events)
    result, problems, applied = IngestResult(), [], []
    for index, ev in enumerate(events):
        key = (ev.source, ev.id)
        if key in known:
            result.duplicates += 1
            result.results.append({"id": ev.id, "seq": known[key], "duplicate": True})
            continue
        implausible = svc.policy.implausible_time(ev.occurred_at, now)
        if implausible:
            problems.append(Problem(index=index, field="occurred_at", message=implausible))
            continue
        current = items.get((ev.kind, ev.ref))
        try:
            state = apply_event(ItemState.from_dict(current["state"]) if current else None, ev)
        except LifecycleError as exc:
            problems.append(Problem(index=index, field=exc.field, message=exc.message))
            continue
        seq = known[key] = seqs.next()
        item = items[(ev.kind, ev.ref)] = _next_item(svc, current, state, seq)
        applied.append(Applied(ev, _event_row(svc, ev, seq, now), dict(current["state"]) if current else {}, item))
        result.accepted += 1
        result.results.append({"id": ev.id, "seq": seq})
        if ev.kind == "patrol" and ev.type == "anomaly":
            _open_anomaly_incident(session, svc, ev, state, items, applied, seqs, now)
    if problems:
        raise IngestRejected(problems)
    result.messages = _write(session, svc, applied, items, now)
    ctx = WriteContext(session, svc, seqs, now, result.messages)
    for a in applied:
        _settle_alerts(ctx, a.before, a.item)
        record_item_change(session, a.event, a.before, a.item)
    raise_surge_alerts(ctx, [a.event for a in applied])
    return result


def _open_anomaly_incident(session: Session, svc: Services, ev: EventIn, patrol: ItemState, items: dict,
                           applied: list[Applied], seqs: SeqBlock, now: datetime) -> None:
    """The incident the dashboard opens for a patrol's anomaly, stored as its own
    `reported` event right after it (rule in dashboard.actions.patrols)."""
    report = anomaly_report(session, ev, patrol, items)
    if report is None:
        return
    seq = seqs.next()
    item = items[("incident", report.ref)] = _next_item(svc, None, apply_event(None, report), seq)
    applied.append(Applied(report, _event_row(svc, report, seq, now), {}, item))


def _key_chunks(keys: set[tuple[str, str]]) -> Iterator[dict[str, Any]]:
    """Parameters of _SEQS_OF_KEYS / _ITEMS_OF_KEYS covering `keys`."""
    by_first: dict[str, list[str]] = {}
    for first, second in keys:
        by_first.setdefault(first, []).append(second)
    for first, seconds in by_first.items():
        for start in range(0, len(seconds), _KEYS_PER_STATEMENT):
            yield {"first": first, "seconds": seconds[start:start + _KEYS_PER_STATEMENT]}


def _rows_of_keys(session: Session, keys: set[tuple[str, str]], statement: Any, pg_statement: Any) -> Iterator[Any]:
    """The rows (as mappings) of `statement` (PostgreSQL: `pg_statement`, all keys at once) covering `keys`."""
    conn = session.connection()
    if is_postgresql(conn):
        pairs = list(keys)
        yield from conn.execute(pg_statement, {"firsts": [f for f, _ in pairs], "seconds": [s for _, s in pairs]}
                                ).mappings()
        return
    for params in _key_chunks(keys):
        yield from conn.execute(statement, params).mappings()


def _existing_seqs(session: Session, events: list[EventIn]) -> dict[tuple[str, str], int]:
    return {(row["source"], row["source_id"]): row["seq"] for row in _rows_of_keys(
        session, {(ev.source, ev.id) for ev in events}, _SEQS_OF_KEYS, _PG_SEQS_OF_KEYS)}


def _load_items(session: Session, events: list[EventIn]) -> dict[tuple[str, str], dict]:
    return {(row["kind"], row["ref"]): dict(row) for row in _rows_of_keys(
        session, {(ev.kind, ev.ref) for ev in events}, _ITEMS_OF_KEYS, _PG_ITEMS_OF_KEYS)}


def _next_item(svc: Services, current: dict | None, state: ItemState, seq: int) -> dict:
    """The item's column values after an event. Deadlines come from the budget
    frozen when the item opened, so a later policy change does not move them."""
    previous = current["state"] if current else {}
    budget = previous.get("budget") or freeze_budget(svc.policy, state)
    deadlines = compute_deadlines(state, budget)
    alerted = set(previous.get("alerted", []))
    item = dict(current) if current else {"id": None, **svc.tree.scope(state.unit)}
    item.update(kind=state.kind, ref=state.ref, unit=state.unit, status=state.status, is_open=state.is_open,
                category=state.category, priority=state.priority, title=state.title, opened_at=state.opened_at,
                updated_at=state.updated_at, last_seq=seq,
                next_due=next_due(deadlines, alerted, cycle_of(state)) if state.is_open else None,
                state={**state.to_dict(), "budget": budget, "deadlines": deadlines, "alerted": sorted(alerted)})
    return item


def _event_row(svc: Services, ev: EventIn, seq: int, now: datetime) -> dict:
    return dict(
        seq=seq, source=ev.source, source_id=ev.id, kind=ev.kind, type=ev.type, ref=ev.ref, unit=ev.unit,
        occurred_at=ev.occurred_at, received_at=now, category=ev.category, priority=ev.priority,
        title=ev.title, description=ev.description, actor=ev.actor,
        lat=ev.location.lat if ev.location else None, lon=ev.location.lon if ev.location else None,
        attributes=ev.attributes, **svc.tree.scope(ev.unit),
    )


def _write(session: Session, svc: Services, applied: list[Applied], items: dict, now: datetime) -> list[Outbound]:
    """Bulk-write items (one row each, however many events touched it), events
    and messages; returns the messages to announce, in seq order."""
    if not applied:
        return []
    touched = {(a.item["kind"], a.item["ref"]): items[(a.item["kind"], a.item["ref"])] for a in applied}
    new = [{k: v for k, v in it.items() if k != "id"} for it in touched.values() if it["id"] is None]
    old = [{f"_{k}": v for k, v in it.items()} for it in touched.values() if it["id"] is not None]
    conn = session.connection()  # Core all the way: the ORM layer adds cost per statement
    insert_rows(conn, ITEMS, new)
    if old:
        conn.execute(_UPDATE_ITEMS, old)
    insert_rows(conn, EVENTS, [a.row for a in applied])
    messages, rows = [], []
    for a in applied:
        payload = event_message(a.row, item_summary(a.item, seq=a.row["seq"]))
        rows.append(dict(seq=a.row["seq"], name="event", unit=a.row["unit"], created_at=now, payload=payload,
                         **svc.tree.scope(a.row["unit"])))
        messages.append(Outbound("event", a.row["seq"], a.row["unit"], payload))
    insert_rows(conn, MESSAGES, rows)
    return messages


def _settle_alerts(ctx: WriteContext, before: dict, item: dict) -> None:
    """An item that meets a late deadline, or closes, resolves its alerts for it."""
    if not before.get("alerted"):
        return
    subject = f"{item['kind']}:{item['ref']}"
    if not item["is_open"]:
        resolve_for_item(ctx, subject=subject, stages=None)
        return
    met = newly_met(before.get("deadlines", {}), item["state"].get("deadlines", {}))
    if met:
        resolve_for_item(ctx, subject=subject, stages=met)
