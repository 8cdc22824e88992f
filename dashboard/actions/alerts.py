"""Alerts: raise, escalate, re-arm, acknowledge, resolve. The only code that
changes an alert; every change is a compare-and-set on the alert's version,
is written to the audit log, and becomes an `alert` message (seq'd, replayable)
announced after the commit.

Functions taking a WriteContext run inside a caller's transaction that
already holds the seq lock (dashboard.actions.context).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from dashboard.actions.context import WriteContext, write_transaction
from dashboard.actions.rollups import record_alert_change, record_alerts_raised
from dashboard.domain.alert_rules import acknowledged_clock, clock_of, escalated_clock, holder_unit
from dashboard.domain.escalation import ACTIVE, Step, holder_level, next_check_at
from dashboard.domain.messages import AlertMessage, Outbound
from dashboard.domain.policy import parse_duration
from dashboard.services import Services
from dashboard.store.models import Alert, AlertLog, Message
from dashboard.store.serialize import alert_payload


class AlertConflict(Exception):
    """The alert is not in a state that allows this (HTTP 409)."""


class AlertForbidden(Exception):
    """The user's unit is neither the alert's unit nor one of its ancestors (HTTP 403)."""


class AlertNotFound(Exception):
    """No such alert (HTTP 404)."""


@dataclass(frozen=True)
class Actor:
    name: str
    unit: str
    address: str | None = None   # where the request came from (the audit trail)


SYSTEM = Actor("system", "")


def record_change(ctx: WriteContext, alert: Alert, *, action: str, from_level: str | None, actor: Actor,
                  note: str | None) -> None:
    """Audit row + replayable message for a change already applied to `alert`."""
    session, now = ctx.session, ctx.now
    seq = ctx.seqs.next()
    alert.last_seq = seq
    session.add(alert)
    session.flush()
    session.add(AlertLog(alert_id=alert.id, seq=seq, at=now, action=action, from_level=from_level,
                         to_level=alert.level, actor=actor.name, note=note, address=actor.address))
    payload = alert_payload(alert, action=action, actor=actor.name, note=note)
    record_alert_change(session, alert, action=action, at=now)
    session.add(Message(seq=seq, name="alert", unit=alert.unit, created_at=now, payload=payload,
                        **ctx.svc.tree.scope(alert.unit)))
    ctx.outbox.append(Outbound("alert", seq, alert.unit, payload))


def new_alert(svc: Services, *, subject: str, stage: str, cycle: int, item: dict, start_level: str, reason: str,
              due_at: datetime | None, budget: dict, now: datetime) -> dict:
    """The row of an alert about to be raised, as plain values."""
    unit = item["unit"]
    level = holder_level(svc.tree.nodes[unit].level, start_level)
    row = dict(subject=subject, stage=stage, cycle=cycle, kind=item["kind"], ref=item["ref"], unit=unit,
               level=level, holder=holder_unit(svc.tree, unit, level), state="raised", active=True, reason=reason,
               category=item.get("category"), priority=item.get("priority"), title=item.get("title"),
               due_at=due_at, raised_at=now, level_since=now, version=1,
               escalate_after_s=int(parse_duration(budget["escalate_after"]).total_seconds()),
               ack_timeout_s=int(parse_duration(budget["ack_timeout"]).total_seconds()),
               acked_at=None, acked_by=None, ack_note=None, resolved_at=None, resolved_by=None, resolve_note=None,
               **svc.tree.scope(unit))
    row["next_check_at"] = next_check_at(clock_of(SimpleNamespace(**row)))
    return row


def raise_alerts(ctx: WriteContext, rows: list[dict]) -> int:
    """Insert the alerts whose (subject, stage, cycle) does not exist yet, in bulk.
    Runs under the seq lock, so the existence check cannot race; the unique
    key stays as the last guard (a violation rolls the whole pass back)."""
    if not rows:
        return 0
    session, svc, now = ctx.session, ctx.svc, ctx.now
    subjects = list({r["subject"] for r in rows})
    existing: set[tuple] = set()
    for start in range(0, len(subjects), 400):
        existing.update(session.execute(select(Alert.subject, Alert.stage, Alert.cycle)
                                        .where(col(Alert.subject).in_(subjects[start:start + 400]))).all())
    fresh = [r for r in rows if (r["subject"], r["stage"], r["cycle"]) not in existing]
    if not fresh:
        return 0
    for r in fresh:
        r["last_seq"] = ctx.seqs.next()
    table = Alert.__table__  # Core inserts: no ORM objects on this bulk path
    ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), fresh).scalars().all()
    logs, messages = [], []
    for alert_id, r in zip(ids, fresh):
        view = SimpleNamespace(id=alert_id, **r)
        payload = alert_payload(view, action="raised", actor=SYSTEM.name, note=None)
        logs.append(dict(alert_id=alert_id, seq=r["last_seq"], at=now, action="raised", from_level=None,
                         to_level=r["level"], actor=SYSTEM.name, note=None))
        messages.append(dict(seq=r["last_seq"], name="alert", unit=r["unit"], created_at=now, payload=payload,
                             **svc.tree.scope(r["unit"])))
        ctx.outbox.append(Outbound("alert", r["last_seq"], r["unit"], payload))
    session.execute(insert(AlertLog.__table__), logs)
    record_alerts_raised(session, fresh, at=now)
    session.execute(insert(Message.__table__), messages)
    return len(fresh)


def _compare_and_set(session: Session, alert: Alert, **values) -> bool:
    """Apply `values` only if nobody changed the alert since it was read."""
    result = session.execute(
        update(Alert).where(col(Alert.id) == alert.id, col(Alert.version) == alert.version)
        .values(version=alert.version + 1, **values)
    )
    if result.rowcount != 1:
        return False
    for key, value in values.items():
        setattr(alert, key, value)
    alert.version += 1
    return True


def apply_step(ctx: WriteContext, alert: Alert, move: Step) -> bool:
    """Escalate or re-arm: the alert moves to `move.to_level` and is active there."""
    from_level = alert.level
    values = {"level": move.to_level, "holder": holder_unit(ctx.svc.tree, alert.unit, move.to_level),
              "state": "escalated", "level_since": ctx.now,
              "next_check_at": next_check_at(escalated_clock(alert, move.to_level, ctx.now))}
    if not _compare_and_set(ctx.session, alert, **values):
        return False
    record_change(ctx, alert, action=move.action, from_level=from_level, actor=SYSTEM, note=None)
    return True


def resolve(ctx: WriteContext, alert: Alert, *, actor: Actor, note: str | None) -> bool:
    if alert.state == "resolved":
        return False
    if not _compare_and_set(ctx.session, alert, state="resolved", active=False, resolved_at=ctx.now,
                            resolved_by=actor.name, resolve_note=note, next_check_at=None):
        return False
    record_change(ctx, alert, action="resolved", from_level=alert.level, actor=actor, note=note)
    return True


def resolve_for_item(ctx: WriteContext, *, subject: str, stages: list[str] | None) -> None:
    """The item met a deadline late (or closed): its alerts for those stages are done."""
    query = select(Alert).where(Alert.subject == subject, col(Alert.active).is_(True))
    for alert in ctx.session.exec(query).all():
        if stages is None or alert.stage in stages:
            resolve(ctx, alert, actor=SYSTEM, note="item progressed")


# --- user actions (own transaction) -----------------------------------------------------------


def _user_change(svc: Services, alert_id: int, actor: Actor, change) -> AlertMessage:
    with write_transaction(svc) as ctx:
        alert = ctx.session.get(Alert, alert_id)
        if alert is None:
            raise AlertNotFound(f"no alert {alert_id}")
        if actor.unit not in svc.tree.lineage(alert.unit):
            raise AlertForbidden(f"alert {alert_id} belongs to {alert.unit}, outside the unit {actor.unit}")
        change(ctx, alert)
    return ctx.outbox[-1].data  # type: ignore[return-value]  # an alert change's last message is its own


def do_acknowledge_alert(svc: Services, alert_id: int, actor: Actor, note: str | None) -> AlertMessage:
    def change(ctx: WriteContext, alert: Alert) -> None:
        if alert.state not in ACTIVE:
            raise AlertConflict(f"alert {alert.id} is already {alert.state}")
        if not _compare_and_set(ctx.session, alert, state="acknowledged", acked_at=ctx.now, acked_by=actor.name,
                                ack_note=note, next_check_at=next_check_at(acknowledged_clock(alert, ctx.now))):
            raise AlertConflict(f"alert {alert.id} changed meanwhile; reload")
        record_change(ctx, alert, action="acknowledged", from_level=alert.level, actor=actor, note=note)

    return _user_change(svc, alert_id, actor, change)


def do_resolve_alert(svc: Services, alert_id: int, actor: Actor, note: str | None) -> AlertMessage:
    def change(ctx: WriteContext, alert: Alert) -> None:
        if alert.state == "resolved":
            raise AlertConflict(f"alert {alert.id} is already resolved")
        if not resolve(ctx, alert, actor=actor, note=note):
            raise AlertConflict(f"alert {alert.id} changed meanwhile; reload")

    return _user_change(svc, alert_id, actor, change)
