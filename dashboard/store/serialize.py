"""Rows → the JSON shapes of the wire (Socket.IO messages and the read API),
as the plain dicts the TypedDicts of dashboard/domain/messages.py define."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from dashboard.domain.messages import AlertMessage, EventMessage, ItemSummary
from dashboard.domain.times import format_iso
from dashboard.store.models import Event, Item


def iso(dt: datetime | None) -> str | None:
    """RFC 3339 in UTC with a Z, millisecond precision."""
    return None if dt is None else format_iso(dt)


def event_message(row: Event | dict, item: ItemSummary) -> EventMessage:
    """The `event` message of a stored event; `item` is its item's summary after it."""
    ev = SimpleNamespace(**row) if isinstance(row, dict) else row
    return {
        "seq": ev.seq,
        "id": ev.source_id,
        "source": ev.source,
        "kind": ev.kind,
        "type": ev.type,
        "ref": ev.ref,
        "unit": ev.unit,
        "occurred_at": iso(ev.occurred_at),
        "received_at": iso(ev.received_at),
        "category": ev.category,
        "priority": ev.priority,
        "title": ev.title,
        "description": ev.description,
        "actor": ev.actor,
        "location": {"lat": ev.lat, "lon": ev.lon} if ev.lat is not None else None,
        "attributes": ev.attributes,
        "item": item,
    }


def item_summary(row: Item | dict, seq: int | None = None) -> ItemSummary:
    """What a wall needs to update its row of this item without a refetch."""
    item = SimpleNamespace(**row) if isinstance(row, dict) else row
    state = item.state or {}
    return {
        "kind": item.kind,
        "ref": item.ref,
        "unit": item.unit,
        "status": item.status,
        "open": item.is_open,
        "category": item.category,
        "priority": item.priority,
        "title": item.title,
        "opened_at": iso(item.opened_at),
        "updated_at": iso(item.updated_at),
        "stages": state.get("stages", {}),
        "deadlines": state.get("deadlines", {}),
        "amber_at": (state.get("budget") or {}).get("amber_at"),
        "details": state.get("details", {}),
        "seq": item.last_seq if seq is None else seq,
    }


def alert_payload(alert, *, action: str, actor: str, note: str | None) -> AlertMessage:
    """The `alert` message (CONTRACT "Live push"); `action` says what just happened."""
    return {
        "id": alert.id,
        "seq": alert.last_seq,
        "state": alert.state,
        "action": action,
        "level": alert.level,
        "holder": alert.holder,
        "unit": alert.unit,
        "kind": alert.kind,
        "ref": alert.ref,
        "stage": alert.stage,
        "cycle": alert.cycle,
        "reason": alert.reason,
        "category": alert.category,
        "priority": alert.priority,
        "title": alert.title,
        "due_at": iso(alert.due_at),
        "raised_at": iso(alert.raised_at),
        "level_since": iso(alert.level_since),
        "acknowledged_at": iso(alert.acked_at),
        "acknowledged_by": alert.acked_by,
        "ack_note": alert.ack_note,
        "resolved_at": iso(alert.resolved_at),
        "resolved_by": alert.resolved_by,
        "actor": actor,
        "note": note,
        "at": iso(alert.level_since if action in ("raised", "escalated", "rearmed") else
                  (alert.acked_at if action == "acknowledged" else alert.resolved_at)),
    }
