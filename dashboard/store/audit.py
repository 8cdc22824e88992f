"""The audit trail of people's actions: logins, failed logins, logouts, bulk
acknowledgements, screen links issued and revoked, users added, changed or
deactivated. Alert changes keep their own log (`alert_log`, written by
dashboard.actions.alerts); `GET /api/v1/audit` reads both in time order.

Append-only: rows are inserted by `add_entry` (in the transaction of the
action it records, dashboard.actions.*) and never updated or deleted — the ORM guard below refuses it, and a test scans the code for it.

The table joins `SQLModel.metadata` once this module is imported
(dashboard.store.db imports it).
"""
from __future__ import annotations

import getpass
import socket
from datetime import datetime
from typing import Optional

from sqlalchemy import Index, event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, Session, select

from dashboard.store.models import AlertLog, ScopeMixin, Unit, utc_field

# What a person did (the `action` column). Alert changes come from alert_log:
# raised, escalated, rearmed, acknowledged, resolved.
USER_ACTIONS = ("login", "login_failed", "logout", "bulk_acknowledge", "bulk_resolve", "screen_issued",
                "screen_revoked", "user_added", "user_changed", "user_deactivated")
NOTE_MAX = 1000


class AuditEntry(ScopeMixin, table=True):
    """One action of a person. `unit` is what the action is about (the user's
    unit for a login, the screen's unit for a screen link); None when unknown
    (a failed login with a name nobody has), then only the district sees it."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = utc_field()
    action: str = Field(max_length=32)
    actor: str = Field(max_length=200)            # the user name (the attempted one on a failed login), or "cli:<os user>"
    unit: Optional[str] = Field(default=None, max_length=64)
    level: Optional[str] = Field(default=None, max_length=16)   # the level of `unit`
    address: Optional[str] = Field(default=None, max_length=200)  # remote address, or "cli@<host>"
    subject: Optional[str] = Field(default=None, max_length=200)  # "screen:3", "user:li", "alerts:4,5,6"
    note: Optional[str] = Field(default=None, max_length=NOTE_MAX)


@event.listens_for(OrmSession, "before_flush")
def _append_only(session, _flush_context, _instances) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, (AuditEntry, AlertLog)) and (obj in session.deleted or session.is_modified(obj)):
            raise PermissionError(f"{type(obj).__tablename__} is append-only: rows are never changed or deleted")


def _unit_scope(session: Session, code: str | None) -> tuple[str | None, dict[str, str | None]]:
    """The level of `code` and its scope columns, read from the unit table
    (the CLI has no UnitTree at hand); unknown or None → the district root."""
    scope: dict[str, str | None] = {"district": None, "street": None, "community": None, "grid": None}
    level = None
    current = session.get(Unit, code) if code else None
    if current is None:
        root = session.exec(select(Unit).where(Unit.parent.is_(None)).order_by(Unit.position)).first()
        if root is not None:
            scope["district"] = root.code
        return None, scope
    level = current.level
    while current is not None:
        scope[current.level] = current.code
        current = session.get(Unit, current.parent) if current.parent else None
    return level, scope


def add_entry(session: Session, *, action: str, actor: str, unit: str | None, at: datetime,
              address: str | None = None, subject: str | None = None, note: str | None = None) -> AuditEntry:
    """Add one row to the caller's transaction (committed with the change it records)."""
    if action not in USER_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    level, scope = _unit_scope(session, unit)
    entry = AuditEntry(at=at, action=action, actor=(actor or "")[:200], unit=unit if level else None, level=level,
                       address=(address or None) and address[:200], subject=subject and subject[:200],
                       note=note[:NOTE_MAX] if note else None, **scope)
    session.add(entry)
    return entry


def cli_actor() -> tuple[str, str]:
    """Who and where for a command-line action: ("cli:<os user>", "cli@<host>")."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for the uid (containers)
        who = "unknown"
    return f"cli:{who}", f"cli@{socket.gethostname()}"
