"""Display tokens for wall screens (see dashboard.screens): one row per
issued token, kept after revocation so the audit trail and the "tokens are
configured" switch survive. Only a SHA-256 of the token is stored.

The table joins `SQLModel.metadata` once this module is imported
(dashboard.store.db imports it, like dashboard.store.users).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Field, SQLModel

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
