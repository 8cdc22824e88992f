"""Keeping the trend rollups up to date.

Hooks, called inside the transactions that change items and alerts (they
already hold the seq lock, so rollup rows are updated in seq order):

- `record_item_change(session, event, before, item)` from ingest, once
  per stored event, after the item is saved;
- `record_alert_change(session, alert, action=..., at=...)` from
  alerts.record_change, and `record_alerts_raised(session, rows, at=...)`
  from alerts.raise_alerts.

They only collect facts on the session; the action that calls them stores
them, merged, as one pending row with `dashboard.store.rollups.flush(session)`
just before its commit (ingest, the sweep, a user's change of an alert), and
wakes the process's `RollupWriter`, which adds the pending facts to the tables
a moment later (`apply_pending_rollups`; readers call it too before they read).

`Replayer` turns the raw log into the same facts, event by event, through the
same lifecycle and clocks as ingest: `rebuild_rollups` uses it to rebuild the
tables from the event log (an existing database, or a check), and
bench/gen_year.py to fill a generated year.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from dashboard.domain.clocks import compute_deadlines, freeze_budget
from dashboard.domain.events import EventIn, Location
from dashboard.domain.lifecycle import ItemState, LifecycleError, apply_event
from dashboard.domain.policy import Policy
from dashboard.repeated_errors import RepeatedErrors
from dashboard.domain.trends import Facts, alert_facts, department_of, escalation_facts, item_facts, merge
from dashboard.services import Services
from dashboard.store import rollups
from dashboard.store.models import Alert, AlertLog, Event, Item
from dashboard.store.seq import SeqBlock

log = RepeatedErrors.on(logging.getLogger(__name__))  # a database outage fails every try: once a minute
# Pending rows per applying transaction (each is one transaction's facts).
PENDING_PER_TRANSACTION = 500


def record_item_change(session: Session, event: Any, before: Mapping[str, Any],
                       item: Item | Mapping[str, Any]) -> None:
    """`event` (EventIn or stored row) turned the item's state `before` ({} for a new
    item) into the item's state now (`item`: the Item row or its column values)."""
    after = item.state if isinstance(item, Item) else item["state"]
    rollups.collect(session, item_facts(event, before, after))


def record_alert_change(session: Session, alert: Alert, *, action: str, at) -> None:
    """An alert change already applied to `alert` (its `level` is where it went)."""
    rollups.collect(session, alert_facts(unit=alert.unit, category=alert.category, priority=alert.priority,
                                       action=action, level=alert.level, at=at))
    if action == "escalated" and alert.kind == "incident":  # counts against the department holding the item
        state = session.execute(select(Item.state).where(Item.kind == alert.kind, Item.ref == alert.ref)).scalar()
        rollups.collect(session, escalation_facts(unit=alert.unit, department=department_of(state or {}), at=at))


def record_alerts_raised(session: Session, rows: Iterable[Mapping[str, Any]], *, at) -> None:
    """Alerts inserted in bulk (the row dicts of alerts.raise_alerts)."""
    facts: Facts = {}
    for r in rows:
        merge(facts, alert_facts(unit=r["unit"], category=r.get("category"), priority=r.get("priority"),
                                 action="raised", level=r["level"], at=at))
    rollups.collect(session, facts)


def apply_pending_rollups(svc: Services) -> int:
    """Add every pending fact to the rollup tables; returns the rollup rows touched.
    Readers of the rollups call this first, so a panel counts every stored event."""
    with svc.engine.connect() as connection:
        if not rollups.has_pending(connection):
            return 0
    touched, taken = 0, PENDING_PER_TRANSACTION
    while taken == PENDING_PER_TRANSACTION:
        with Session(svc.engine) as session:
            taken, written = rollups.apply_pending(session, svc.tree, limit=PENDING_PER_TRANSACTION)
            session.commit()
        touched += written
    return touched


class RollupWriter:
    """Applies the pending facts a little after a transaction stored them (`wake`), in a
    thread of the process: readers then find a short backlog, and the facts of the
    transactions of those seconds are merged into one write.

    It waits at least `delay_s`, and longer when applying is slow, so that applying takes
    at most `share` of the process's time: under heavy ingest it then merges more
    transactions per write (most rollup rows recur), and costs less per event."""

    def __init__(self, services: Callable[[], Services], *, delay_s: float = 2.0, share: float = 0.1,
                 max_delay_s: float = 30.0) -> None:
        self._services = services
        self._delay = delay_s
        self._share = share
        self._max_delay = max_delay_s
        self._last_cost = 0.0
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wake(self) -> None:
        self._wake.set()
        with self._lock:  # started lazily, inside the serving process
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="rollup-writer", daemon=True)
                self._thread.start()

    def delay(self) -> float:
        return min(self._max_delay, max(self._delay, self._last_cost / self._share))

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self.delay())
            self._wake.clear()
            started = time.monotonic()
            try:
                apply_pending_rollups(self._services())
            except Exception:  # the database away: the next wake (or a reader) applies them
                log.exception("pending rollup facts not applied yet")
            self._last_cost = time.monotonic() - started


class Replayer:
    """Item states and rollup facts from events applied in seq order."""

    def __init__(self, policy: Policy, budgets: Mapping[tuple[str, str], dict] | None = None) -> None:
        self.policy = policy
        self.budgets = budgets or {}
        self.states: dict[tuple[str, str], tuple[ItemState, dict]] = {}
        self.facts: Facts = {}
        self.rejected = 0

    def apply(self, event: EventIn) -> dict | None:
        """The item's state after `event` (as kept in Item.state), or None when the
        lifecycle refuses it (ingest would have answered 422 and stored nothing)."""
        key = (event.kind, event.ref)
        previous = self.states.get(key)
        try:
            state = apply_event(previous[0] if previous else None, event)
        except LifecycleError:
            self.rejected += 1
            return None
        before = previous[1] if previous else {}
        budget = before.get("budget") or self.budgets.get(key) or freeze_budget(self.policy, state)
        # What item_facts reads of Item.state, without to_dict's deep copy (the lifecycle
        # copies a state before changing it, so sharing `details` is safe); full_state() below.
        after = {"kind": state.kind, "unit": state.unit, "opened_at": state.opened_at.isoformat(),
                 "category": state.category, "priority": state.priority, "details": state.details,
                 "budget": budget, "deadlines": compute_deadlines(state, budget)}
        merge(self.facts, item_facts(event, before, after))
        self.states[key] = (state, after)
        return after

    def full_state(self, key: tuple[str, str]) -> dict:
        """The item's state as ingest keeps it in Item.state."""
        state, after = self.states[key]
        return {**state.to_dict(), "budget": after["budget"], "deadlines": after["deadlines"], "alerted": []}

    def alert(self, *, unit: str, category: str | None, priority: int | None, action: str, level: str, at,
              department: str | None = None) -> None:
        """One alert change; `department`: the one holding the item then (escalations count against it)."""
        merge(self.facts, alert_facts(unit=unit, category=category, priority=priority, action=action,
                                      level=level, at=at))
        if action == "escalated":
            merge(self.facts, escalation_facts(unit=unit, department=department, at=at))


def event_in(row: Event) -> EventIn:
    """A stored event as the lifecycle takes it (no validation: it was valid when stored)."""
    location = Location.model_construct(lat=row.lat, lon=row.lon) if row.lat is not None else None
    return EventIn.model_construct(
        id=row.source_id, source=row.source, kind=row.kind, type=row.type, ref=row.ref, unit=row.unit,
        occurred_at=row.occurred_at, category=row.category, priority=row.priority, title=row.title,
        description=row.description, actor=row.actor, location=location, attributes=row.attributes or {})


def replay_log(session: Session, policy: Policy, *, chunk: int = 5000) -> Replayer:
    """Every stored event (seq order) and every alert change, through a Replayer."""
    budgets = {(k, r): (s or {}).get("budget") for k, r, s in session.execute(select(Item.kind, Item.ref, Item.state))}
    replayer = Replayer(policy, {k: b for k, b in budgets.items() if b})
    dispatches: dict[str, list[tuple[int, str | None]]] = {}  # incident ref -> (seq, department) in seq order
    last = 0
    while True:
        rows = session.scalars(select(Event).where(Event.seq > last).order_by(Event.seq).limit(chunk)).all()
        if not rows:
            break
        for row in rows:
            if replayer.apply(event_in(row)) is not None and row.kind == "incident" and row.type == "dispatched":
                dispatches.setdefault(row.ref, []).append((row.seq, (row.attributes or {}).get("department")))
        last = rows[-1].seq
        session.expunge_all()
    changes = session.execute(select(AlertLog.action, AlertLog.to_level, AlertLog.at, AlertLog.seq, Alert.kind,
                                     Alert.ref, Alert.unit, Alert.category, Alert.priority)
                              .join(Alert, Alert.id == AlertLog.alert_id))
    for action, level, at, seq, kind, ref, unit, category, priority in changes:
        held = [d for s, d in dispatches.get(ref, ()) if s < seq] if kind == "incident" else []
        replayer.alert(unit=unit, category=category, priority=priority, action=action, level=level, at=at,
                       department=held[-1] if held else None)
    return replayer


def rebuild_rollups(svc: Services) -> int:
    """Recompute every rollup row from the raw log, in one transaction that holds
    the seq lock (ingest waits meanwhile). Returns the number of rows written."""
    with Session(svc.engine) as session:
        SeqBlock(session)
        replayer = replay_log(session, svc.policy)
        rollups.clear(session)
        written = rollups.bulk_load(session, rollups.expand(replayer.facts, svc.tree), svc.tree)
        session.commit()
    return written
