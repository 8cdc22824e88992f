"""Schemas of the messages on the wire (CONTRACT "Live push"), so every
message an action emits can be checked in tests against one definition."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class _Strict(BaseModel):
    """A wire schema names every field: anything else is an error."""

    model_config = ConfigDict(extra="forbid")


class ItemSummary(_Strict):
    kind: Literal["incident", "patrol", "mediation"]
    ref: str
    unit: str
    status: str
    open: bool
    category: str | None
    priority: int | None
    title: str | None
    opened_at: str
    updated_at: str
    stages: dict[str, str]
    deadlines: dict[str, dict[str, Any]]
    amber_at: float | None
    details: dict[str, Any]
    seq: int


class EventMessage(_Strict):
    """`event`: a stored event with its seq and the item's state after it."""

    seq: int
    id: str
    source: str
    kind: Literal["incident", "patrol", "mediation"]
    type: str
    ref: str
    unit: str
    occurred_at: str
    received_at: str
    category: str | None
    priority: int | None
    title: str | None
    description: str | None
    actor: str | None
    location: dict[str, float | None] | None
    attributes: dict[str, Any]
    item: ItemSummary


class AlertMessage(_Strict):
    """`alert`: one change of an alert; `level` is the centre holding it now."""

    id: int
    seq: int
    state: Literal["raised", "escalated", "acknowledged", "resolved"]
    action: Literal["raised", "escalated", "rearmed", "acknowledged", "resolved"]
    level: Literal["community", "street", "district"]
    holder: str
    unit: str
    kind: str
    ref: str
    stage: str
    cycle: int
    reason: str
    category: str | None
    priority: int | None
    title: str | None
    due_at: str | None
    raised_at: str
    level_since: str
    acknowledged_at: str | None
    acknowledged_by: str | None
    ack_note: str | None
    resolved_at: str | None
    resolved_by: str | None
    actor: str
    note: str | None
    at: str | None


SCHEMAS = {"event": EventMessage, "alert": AlertMessage}


def check_message(name: str, data: dict) -> None:
    """Raise pydantic.ValidationError when `data` is not a valid `name` message."""
    SCHEMAS[name].model_validate(data)
