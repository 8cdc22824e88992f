"""Screen links: a revocable display token in a wall's URL opens the wall
without a login that could expire (CONTRACT "Pages").

A deployment turns this on by issuing its first token
(`python -m dashboard screens add --unit CODE`). From then on nothing answers
anonymously: a wall, its snapshot, its live feed and every read need either a
valid token of the wall's unit or an ancestor, or a logged-in user of that unit
or above (the rule: dashboard.auth.access, the decision:
dashboard.domain.screen_access). While no token has ever been issued,
walls stay open (unless DASHBOARD_OPEN_WALLS=0). Revoking a token cuts the
sockets that use it within seconds (dashboard.realtime.live re-checks them).

These are the only writes to the table: issue, revoke, and `touch` (when a
link was last used; dashboard.auth.access calls it when the decision says so).
"""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.store.audit import add_entry
from dashboard.store.models import Unit
from dashboard.store.screen_links import ScreenToken, hash_token

TOKEN_BYTES = 24


class ScreenError(ValueError):
    """A token that cannot be issued or revoked; the message says why."""


def issue(engine: Engine, *, unit: str, label: str, now: datetime,
          by: tuple[str, str] = ("unknown", "")) -> tuple[ScreenToken, str]:
    """A new token for `unit`'s walls; the plain token is returned once and never stored.
    `by`: who and from where, for the audit trail (see dashboard.store.audit.cli_actor)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with Session(engine, expire_on_commit=False) as session:
        if session.get(Unit, unit) is None:
            raise ScreenError(f"unknown unit {unit!r} (see GET /api/v1/units)")
        row = ScreenToken(token_hash=hash_token(token), unit=unit, label=label[:200], created_at=now)
        session.add(row)
        session.flush()
        add_entry(session, action="screen_issued", actor=by[0], unit=unit, at=now, address=by[1],
                  subject=f"screen:{row.id}", note=row.label or None)
        session.commit()
        session.refresh(row)
        return row, token


def revoke(engine: Engine, *, token_id: int, now: datetime, by: tuple[str, str] = ("unknown", "")) -> ScreenToken:
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(ScreenToken, token_id)
        if row is None:
            raise ScreenError(f"no screen token with id {token_id}")
        if row.revoked_at is not None:
            raise ScreenError(f"screen token {token_id} was already revoked")
        row.revoked_at = now
        session.add(row)
        add_entry(session, action="screen_revoked", actor=by[0], unit=row.unit, at=now, address=by[1],
                  subject=f"screen:{row.id}", note=row.label or None)
        session.commit()
        return row


def touch(engine: Engine, *, token_id: int, now: datetime) -> None:
    """Record that the link was used now (`last_used_at`, shown by `screens list`)."""
    with Session(engine) as session:
        row = session.get(ScreenToken, token_id)
        if row is not None:
            row.last_used_at = now
            session.add(row)
            session.commit()
