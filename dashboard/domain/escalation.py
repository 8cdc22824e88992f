"""Escalation up the three levels, as a pure function of (alert, now).

An alert is held by one centre (its `level`). Unacknowledged for
`escalate_after`, it moves one level up: community → street → district. An
acknowledged alert unresolved for `ack_timeout` re-arms: it is active again,
one level up (or at the district, which has no level above).
The timings are frozen into the alert when it is raised.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

ALERT_LEVELS = ("community", "street", "district")
ACTIVE = ("raised", "escalated")
UP = {"community": "street", "street": "district"}


@dataclass(frozen=True)
class AlertClock:
    state: str                 # raised | escalated | acknowledged | resolved
    level: str
    level_since: datetime
    acked_at: datetime | None
    escalate_after: timedelta
    ack_timeout: timedelta


@dataclass(frozen=True)
class Step:
    action: str                # "escalated" | "rearmed"
    to_level: str


def next_check_at(alert: AlertClock) -> datetime | None:
    """When the sweep next needs to look at this alert (None: never by itself)."""
    if alert.state in ACTIVE:
        return alert.level_since + alert.escalate_after if alert.level in UP else None
    if alert.state == "acknowledged" and alert.acked_at is not None:
        return alert.acked_at + alert.ack_timeout
    return None


def step(alert: AlertClock, now: datetime) -> Step | None:
    due = next_check_at(alert)
    if due is None or now < due:
        return None
    if alert.state in ACTIVE:
        return Step("escalated", UP[alert.level])
    return Step("rearmed", UP.get(alert.level, alert.level))


def holder_level(unit_level: str, start_level: str) -> str:
    """The start level, but never below the item's own unit (a town-level item
    has no community centre above it)."""
    order = {lvl: i for i, lvl in enumerate(ALERT_LEVELS)}
    own = unit_level if unit_level in order else "community"
    return start_level if order[start_level] >= order[own] else own
