"""The messages on the wire (CONTRACT "Live push"), defined once.

They are TypedDicts: at run time a message is the plain dict the builders in
dashboard/store/serialize.py return, so ingest pays nothing for the types (a
pydantic model per message would cost microseconds each, at thousands of
events a second). Tests validate them, and the OpenAPI document describes
them, through pydantic's TypeAdapter over these same definitions.
"""
from __future__ import annotations

from typing import Any, Literal, NamedTuple

from pydantic import ConfigDict, TypeAdapter, with_config
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

# A wire schema names every field: anything else is an error.
_STRICT = ConfigDict(extra="forbid")
Kind = Literal["incident", "patrol", "mediation"]


@with_config(_STRICT)
class ItemSummary(TypedDict):
    kind: Kind
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


@with_config(_STRICT)
class EventMessage(TypedDict):
    """`event`: a stored event with its seq and the item's state after it."""

    seq: int
    id: str
    source: str
    kind: Kind
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


@with_config(_STRICT)
class AlertMessage(TypedDict):
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


class Outbound(NamedTuple):
    """A stored message waiting for its commit, then announced: the Socket.IO
    message `name` with `data`, sent to the rooms of `unit` and its ancestors."""

    name: Literal["event", "alert"]
    seq: int
    unit: str
    data: EventMessage | AlertMessage


SCHEMAS: dict[str, type] = {"event": EventMessage, "alert": AlertMessage}
ADAPTERS: dict[str, TypeAdapter] = {name: TypeAdapter(schema) for name, schema in SCHEMAS.items()}


def check_message(name: str, data: dict) -> None:
    """Raise pydantic.ValidationError when `data` is not a valid `name` message."""
    ADAPTERS[name].validate_python(data)
