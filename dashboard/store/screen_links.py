"""Screen links' tokens (written by dashboard.actions.screen_links): one row per
issued token, kept after revocation so the audit trail and the "tokens are
configured" switch survive. Only a SHA-256 of the token is stored.

The table joins `SQLModel.metadata` once this module is imported
(dashboard.store.db imports it, like dashboard.store.users).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Optional

from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, select

from dashboard.store.models import utc_field


class ScreenToken(SQLModel, table=True):
    __tablename__ = "screen_token"
    id: Optional[int] = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    unit: str = Field(foreign_key="unit.code", max_length=64, index=True)
    label: str = Field(default="", max_length=200)
    created_at: datetime = utc_field()
    revoked_at: Optional[datetime] = utc_field(default=None)
    last_used_at: Optional[datetime] = utc_field(default=None)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_row(engine: Engine, token: str) -> ScreenToken | None:
    """The row of this plain token (revoked or not), or None when it was never issued."""
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(select(ScreenToken).where(ScreenToken.token_hash == hash_token(token))).first()


def unrevoked_ids(engine: Engine, token_ids: Iterable[int]) -> set[int]:
    """Of these token ids, those not revoked."""
    token_ids = set(token_ids)
    if not token_ids:
        return set()
    with Session(engine) as session:
        return set(session.exec(select(ScreenToken.id).where(
            ScreenToken.id.in_(token_ids), ScreenToken.revoked_at.is_(None))).all())


def list_tokens(engine: Engine) -> list[ScreenToken]:
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(select(ScreenToken).order_by(ScreenToken.id)).all())


def required(engine: Engine) -> bool:
    """True once any token was issued (revoked ones too: revoking the last
    token must not open the walls to everyone)."""
    with Session(engine) as session:
        return session.exec(select(ScreenToken.id).limit(1)).first() is not None
