"""SQLModel tables: the unit tree, the append-only event log, current item
state, and the message log every wall is fed from.

Scope columns (`district`, `street`, `community`, `grid`) hold the codes of a
row's unit and its ancestors, so "everything in the subtree of unit U" is one
indexed equality on the column of U's level.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from datetime import timezone

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

LEVELS = ("district", "street", "community", "grid")


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC on every database; always read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=timezone.utc) if value is not None else None


def utc_field(**kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kw)


class ScopeMixin(SQLModel):
    district: Optional[str] = Field(default=None, max_length=64)
    street: Optional[str] = Field(default=None, max_length=64)
    community: Optional[str] = Field(default=None, max_length=64)
    grid: Optional[str] = Field(default=None, max_length=64)


class Unit(SQLModel, table=True):
    __tablename__ = "unit"
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    level: str = Field(max_length=16)
    parent: Optional[str] = Field(default=None, foreign_key="unit.code", max_length=64)
    synthetic: bool = False
    position: int = 0  # display order among siblings


class Counter(SQLModel, table=True):
    """The `seq` allocator. Incrementing this row inside the writing
    transaction holds its lock until commit, so seq order is commit order and
    a reader that sees seq N has already seen every seq below N."""

    __tablename__ = "counter"
    name: str = Field(primary_key=True, max_length=32)
    value: int = Field(default=0, sa_type=BigInteger)


class Event(ScopeMixin, table=True):
    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_event_source_id"),
        Index("ix_event_kind_ref", "kind", "ref"),
        Index("ix_event_occurred", "occurred_at"),
        Index("ix_event_surge", "unit", "category", "occurred_at"),
        # What happened in a window, by kind and type: coverage of a day, mediation outcomes of a month.
        Index("ix_event_kind_type_occurred", "kind", "type", "occurred_at"),
    )
    seq: int = Field(primary_key=True, sa_type=BigInteger)
    source: str = Field(max_length=64)
    source_id: str = Field(max_length=128)
    kind: str = Field(max_length=16)
    type: str = Field(max_length=32)
    ref: str = Field(max_length=128)
    unit: str = Field(max_length=64)
    occurred_at: datetime = utc_field()
    received_at: datetime = utc_field()
    category: Optional[str] = Field(default=None, max_length=64)
    priority: Optional[int] = None
    title: Optional[str] = Field(default=None, max_length=500)
    description: Optional[str] = None
    actor: Optional[str] = Field(default=None, max_length=200)
    lat: Optional[float] = None
    lon: Optional[float] = None
    attributes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Item(ScopeMixin, table=True):
    """Current state of one incident, patrol or mediation (derived from its events)."""

    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("kind", "ref", name="uq_item_kind_ref"),
        Index("ix_item_open_street", "is_open", "street"),
        Index("ix_item_open_community", "is_open", "community"),
        # Open items of one kind (a district's active patrols, open mediations): with database
        # statistics the planner otherwise walks every item of the kind via (kind, ref).
        Index("ix_item_kind_open", "kind", "is_open"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    ref: str = Field(max_length=128)
    unit: str = Field(max_length=64)
    status: str = Field(max_length=32)
    is_open: bool = Field(index=True)
    category: Optional[str] = Field(default=None, max_length=64)
    priority: Optional[int] = None
    title: Optional[str] = Field(default=None, max_length=500)
    opened_at: datetime = utc_field()
    updated_at: datetime = utc_field()
    last_seq: int = Field(sa_type=BigInteger)
    # Earliest deadline neither met nor alerted: the sweep's only index.
    next_due: Optional[datetime] = Field(default=None, sa_type=UTCDateTime, index=True)
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Message(ScopeMixin, table=True):
    """Every message a wall receives, in `seq` order: the replay log behind
    Socket.IO `resume` and `GET /api/v1/stream` (a transactional outbox)."""

    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_street_seq", "street", "seq"),
        Index("ix_message_community_seq", "community", "seq"),
        Index("ix_message_grid_seq", "grid", "seq"),
    )
    seq: int = Field(primary_key=True, sa_type=BigInteger)
    name: str = Field(max_length=16)  # the Socket.IO event name: "event" | "alert"
    unit: str = Field(max_length=64)
    created_at: datetime = utc_field()
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class Alert(ScopeMixin, table=True):
    """One missed deadline (or surge) of one item, held by one centre at a time.
    (`subject`, `stage`, `cycle`) is unique: two sweeps cannot raise it twice.
    Every change is a compare-and-set on `version`."""

    __tablename__ = "alert"
    __table_args__ = (
        UniqueConstraint("subject", "stage", "cycle", name="uq_alert_subject_stage_cycle"),
        Index("ix_alert_active_street", "active", "street"),
        Index("ix_alert_active_community", "active", "community"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    subject: str = Field(max_length=200)      # "incident:REF", "surge:UNIT:CATEGORY", ...
    stage: str = Field(max_length=160)        # acknowledge | arrive | resolve | checkpoint:NAME | surge
    cycle: int = 0
    kind: str = Field(max_length=16)
    ref: str = Field(max_length=128)
    unit: str = Field(max_length=64)          # the unit of the item the alert is about
    level: str = Field(max_length=16)         # the centre holding it now
    holder: str = Field(max_length=64)        # that centre's unit code
    state: str = Field(max_length=16)         # raised | escalated | acknowledged | resolved
    active: bool = Field(default=True, index=True)   # not resolved
    reason: str = Field(max_length=300)
    category: Optional[str] = Field(default=None, max_length=64)
    priority: Optional[int] = None
    title: Optional[str] = Field(default=None, max_length=500)
    due_at: Optional[datetime] = utc_field(default=None)
    raised_at: datetime = utc_field()
    level_since: datetime = utc_field()
    acked_at: Optional[datetime] = utc_field(default=None)
    acked_by: Optional[str] = Field(default=None, max_length=64)
    ack_note: Optional[str] = Field(default=None, max_length=1000)
    resolved_at: Optional[datetime] = utc_field(default=None)
    resolved_by: Optional[str] = Field(default=None, max_length=64)
    resolve_note: Optional[str] = Field(default=None, max_length=1000)
    next_check_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime, index=True)
    escalate_after_s: int
    ack_timeout_s: int
    version: int = 1
    last_seq: int = Field(sa_type=BigInteger)


class AlertLog(SQLModel, table=True):
    """Append-only audit: every raise, escalation, re-arm, acknowledgement and resolution."""

    __tablename__ = "alert_log"
    __table_args__ = (Index("ix_alert_log_at", "at"),)  # the audit export reads time ranges
    id: Optional[int] = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    seq: int = Field(sa_type=BigInteger)
    at: datetime = utc_field()
    action: str = Field(max_length=16)
    from_level: Optional[str] = Field(default=None, max_length=16)
    to_level: str = Field(max_length=16)
    actor: str = Field(max_length=64)         # a user name, or "system"
    note: Optional[str] = Field(default=None, max_length=1000)
    address: Optional[str] = Field(default=None, max_length=200)  # the acting user's remote address
