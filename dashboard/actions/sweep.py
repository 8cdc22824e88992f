"""do_sweep: one pass over everything overdue (not one timer per item), so a
missed tick is caught by the next. Safe to run in several processes at once:
the pass holds the seq lock, raising is insert-unless-exists on a unique key,
and escalation is a compare-and-set — a pass that lost a race does nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from dashboard.actions.alerts import apply_step, clock_of, raise_alert
from dashboard.domain.clocks import alert_key, cycle_of, next_due, overdue
from dashboard.domain.escalation import step
from dashboard.domain.lifecycle import ItemState
from dashboard.services import Services
from dashboard.store.models import Alert, Item
from dashboard.store.seq import SeqBlock

PAGE = 500
REASONS = {"acknowledge": "acknowledge deadline missed", "arrive": "on-scene deadline missed",
           "resolve": "resolve deadline missed"}


@dataclass
class SweepResult:
    raised: int = 0
    escalated: int = 0
    messages: int = 0


def reason_for(kind: str, stage: str) -> str:
    if stage.startswith("checkpoint:"):
        return f"checkpoint {stage.split(':', 1)[1]} missed"
    if kind == "mediation":
        return "mediation deadline missed"
    return REASONS.get(stage, f"{stage} deadline missed")


def has_work(session: Session, now: datetime) -> bool:
    """Two indexed probes; the common case (nothing due) ends here without a lock."""
    item = session.exec(select(Item.id).where(col(Item.next_due) <= now).limit(1)).first()
    if item is not None:
        return True
    return session.exec(select(Alert.id).where(col(Alert.next_check_at) <= now).limit(1)).first() is not None


def do_sweep(svc: Services, now: datetime | None = None) -> SweepResult:
    now = now or svc.clock()
    result = SweepResult()
    with Session(svc.engine) as probe:
        if not has_work(probe, now):
            return result
    out: list[dict] = []
    with Session(svc.engine, expire_on_commit=False) as session:
        seqs = SeqBlock(session)
        for item in session.exec(select(Item).where(col(Item.next_due) <= now)
                                 .order_by(col(Item.next_due)).limit(PAGE)).all():
            result.raised += _raise_overdue(session, svc, seqs, item, now, out)
        for alert in session.exec(select(Alert).where(col(Alert.next_check_at) <= now)
                                  .order_by(col(Alert.next_check_at)).limit(PAGE)).all():
            move = step(clock_of(alert), now)
            if move is not None and apply_step(session, svc, seqs, alert, move, now, out):
                result.escalated += 1
        seqs.save()
        session.commit()
    svc.announcer.announce(out)
    result.messages = len(out)
    return result


def _raise_overdue(session: Session, svc: Services, seqs: SeqBlock, item: Item, now: datetime,
                   out: list[dict]) -> int:
    data = dict(item.state)
    state = ItemState.from_dict(data)
    deadlines, budget = data.get("deadlines", {}), data.get("budget", {})
    alerted, cycle = set(data.get("alerted", [])), cycle_of(state)
    raised = 0
    summary = {"kind": item.kind, "ref": item.ref, "unit": item.unit, "category": item.category,
               "priority": item.priority, "title": item.title}
    for stage in overdue(deadlines, alerted, cycle, now):
        start = budget.get("start_level") or "community"
        alert = raise_alert(session, svc, seqs, subject=f"{item.kind}:{item.ref}", stage=stage, cycle=cycle,
                            item=summary, start_level=start, reason=reason_for(item.kind, stage),
                            due_at=datetime.fromisoformat(deadlines[stage]["due"].replace("Z", "+00:00")),
                            budget=budget, now=now, out=out)
        alerted.add(alert_key(stage, cycle))
        raised += alert is not None
    data["alerted"] = sorted(alerted)
    item.state = data
    item.next_due = next_due(deadlines, alerted, cycle) if item.is_open else None
    session.add(item)
    return raised
