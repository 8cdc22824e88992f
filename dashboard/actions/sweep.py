"""do_sweep: one pass over everything overdue (not one timer per item), so a
missed tick is caught by the next. Safe to run in several processes at once:
the pass holds the seq lock, raising is insert-unless-exists on a unique key,
and escalation is a compare-and-set — a pass that lost a race does nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from dashboard.actions.alerts import apply_step, new_alert, raise_alerts
from dashboard.actions.context import WriteContext, write_transaction
from dashboard.domain.alert_rules import clock_of, reason_for
from dashboard.domain.clocks import alert_key, cycle_of, next_due, overdue
from dashboard.domain.escalation import step
from dashboard.domain.lifecycle import ItemState
from dashboard.domain.times import parse_iso
from dashboard.services import Services
from dashboard.store.models import Alert, Item

PAGE = 500


@dataclass
class SweepResult:
    raised: int = 0
    escalated: int = 0
    messages: int = 0


def has_work(session: Session, now: datetime) -> bool:
    """Two indexed probes; the common case (nothing due) ends here without a lock.
    ORDER BY makes PostgreSQL walk the index even when its statistics are stale."""
    item = session.exec(select(Item.id).where(col(Item.next_due) <= now).order_by(col(Item.next_due)).limit(1)).first()
    if item is not None:
        return True
    return session.exec(select(Alert.id).where(col(Alert.next_check_at) <= now)
                        .order_by(col(Alert.next_check_at)).limit(1)).first() is not None


def do_sweep(svc: Services, now: datetime | None = None) -> SweepResult:
    now = now or svc.clock()
    result = SweepResult()
    with Session(svc.engine) as probe:
        if not has_work(probe, now):
            return result
    with write_transaction(svc, now) as ctx:
        result.raised = _raise_overdue(ctx)
        for alert in ctx.session.exec(select(Alert).where(col(Alert.next_check_at) <= now)
                                      .order_by(col(Alert.next_check_at)).limit(PAGE)).all():
            move = step(clock_of(alert), now)
            if move is not None and apply_step(ctx, alert, move):
                result.escalated += 1
    result.messages = len(ctx.outbox)
    return result


_ITEM_COLUMNS = (Item.id, Item.kind, Item.ref, Item.unit, Item.category, Item.priority, Item.title, Item.state)


def _raise_overdue(ctx: WriteContext) -> int:
    """Alerts for every overdue stage of a page of items, then each item's next_due."""
    session, svc, now = ctx.session, ctx.svc, ctx.now
    items = session.execute(select(*_ITEM_COLUMNS).where(col(Item.next_due) <= now)
                            .order_by(col(Item.next_due)).limit(PAGE)).all()
    alerts, updates = [], []
    for row in items:
        data = dict(row.state)
        deadlines, budget = data.get("deadlines", {}), data.get("budget", {})
        alerted, cycle = set(data.get("alerted", [])), cycle_of(ItemState.from_dict(data))
        summary = {"kind": row.kind, "ref": row.ref, "unit": row.unit, "category": row.category,
                   "priority": row.priority, "title": row.title}
        for stage in overdue(deadlines, alerted, cycle, now):
            alerts.append(new_alert(svc, subject=f"{row.kind}:{row.ref}", stage=stage, cycle=cycle, item=summary,
                                    start_level=budget.get("start_level") or "community",
                                    reason=reason_for(row.kind, stage), due_at=parse_iso(deadlines[stage]["due"]),
                                    budget=budget, now=now))
            alerted.add(alert_key(stage, cycle))
        data["alerted"] = sorted(alerted)
        updates.append({"_id": row.id, "_state": data, "_next_due": next_due(deadlines, alerted, cycle)})
    raised = raise_alerts(ctx, alerts)
    if updates:
        table = Item.__table__  # Core executemany: no ORM objects for a bulk state change
        session.execute(update(table).where(table.c.id == bindparam("_id"))
                        .values(state=bindparam("_state"), next_due=bindparam("_next_due")), updates)
    return raised
