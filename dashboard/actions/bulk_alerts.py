"""Acknowledge or resolve many alerts at once (the console's group actions,
CONTRACT `POST /api/v1/alerts/ack` and `/resolve` with `{"ids": [..]}`).

Each id runs through the single-alert action in its own transaction: the
same rules (scope 403, unknown 404, state 409) and the same messages, and a
refusal or a conflict on one id cannot undo the others. One transaction per
id also keeps the seq lock for milliseconds at a time, so ingest and the
sweep are never held up behind a long group. The request itself is one row
of the audit trail (which ids, what came of each, the note, from where).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from dashboard.actions.alerts import (Actor, AlertConflict, AlertForbidden, AlertNotFound, do_acknowledge_alert,
                                      do_resolve_alert)
from dashboard.services import Services
from dashboard.store.audit import add_entry

MAX_IDS = 500

VERBS = {"ack": (do_acknowledge_alert, "bulk_acknowledge"), "resolve": (do_resolve_alert, "bulk_resolve")}
_REFUSALS = ((AlertNotFound, 404), (AlertForbidden, 403), (AlertConflict, 409))


@dataclass(frozen=True)
class Outcome:
    id: int
    status: int
    error: str | None = None
    alert: dict | None = None

    def body(self) -> dict:
        out: dict = {"id": self.id, "status": self.status}
        if self.error is not None:
            out["error"] = self.error
        return out


def _one(svc: Services, action, alert_id: int, actor: Actor, note: str | None) -> Outcome:
    try:
        return Outcome(alert_id, 200, alert=action(svc, alert_id, actor, note))
    except tuple(exc for exc, _ in _REFUSALS) as exc:
        status = next(code for kind, code in _REFUSALS if isinstance(exc, kind))
        return Outcome(alert_id, status, str(exc))


def do_bulk_alerts(svc: Services, verb: str, ids: list[int], actor: Actor, note: str | None) -> list[Outcome]:
    """`verb` "ack" or "resolve" on each of `ids` (distinct, at most MAX_IDS), in the order given."""
    action, audit_action = VERBS[verb]
    outcomes = [_one(svc, action, alert_id, actor, note) for alert_id in ids]
    summary = ", ".join(f"{o.id}:{o.status}" for o in outcomes)
    with Session(svc.engine) as session:
        add_entry(session, action=audit_action, actor=actor.name, unit=actor.unit, at=svc.clock(),
                  address=actor.address, subject=f"alerts {summary}"[:200], note=note)
        session.commit()
    return outcomes
