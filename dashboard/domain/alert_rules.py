"""What an alert becomes, as pure rules: who holds it, why it was raised, and
its escalation clock after each change. dashboard.actions.alerts applies them
to the stored row (compare-and-set, audit, message); the timing rules
themselves are dashboard.domain.escalation.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from dashboard.domain.escalation import AlertClock
from dashboard.domain.unit_tree import UnitTree

REASONS = {"acknowledge": "acknowledge deadline missed", "arrive": "on-scene deadline missed",
           "resolve": "resolve deadline missed"}


class AlertFields(Protocol):
    """The columns of an alert its clock is made of (a stored row or a new one)."""

    state: str
    level: str
    level_since: datetime
    acked_at: datetime | None
    escalate_after_s: int
    ack_timeout_s: int


def holder_unit(tree: UnitTree, unit: str, level: str) -> str:
    """The centre at `level` above `unit` (or the nearest one above it)."""
    lineage = tree.lineage(unit)
    for code in lineage:
        if tree.nodes[code].level == level:
            return code
    return lineage[-1]


def reason_for(kind: str, stage: str) -> str:
    """The text an alert for a missed deadline carries."""
    if stage.startswith("checkpoint:"):
        return f"checkpoint {stage.split(':', 1)[1]} missed"
    if kind == "mediation":
        return "mediation deadline missed"
    return REASONS.get(stage, f"{stage} deadline missed")


def clock_of(alert: AlertFields) -> AlertClock:
    """The alert's escalation clock as it stands (timings frozen in whole seconds)."""
    return AlertClock(state=alert.state, level=alert.level, level_since=alert.level_since, acked_at=alert.acked_at,
                      escalate_after=timedelta(seconds=alert.escalate_after_s),
                      ack_timeout=timedelta(seconds=alert.ack_timeout_s))


def escalated_clock(alert: AlertFields, to_level: str, now: datetime) -> AlertClock:
    """After an escalation or a re-arm: active again at `to_level` from `now`."""
    return replace(clock_of(alert), state="escalated", level=to_level, level_since=now, acked_at=None)


def acknowledged_clock(alert: AlertFields, now: datetime) -> AlertClock:
    """After an acknowledgement at `now`: same level, waiting for resolution."""
    return replace(clock_of(alert), state="acknowledged", acked_at=now)
