"""The ingest event schema (CONTRACT "Ingest API"), validated with pydantic.

Pure: no I/O. Whether a unit exists or an event fits its ref's lifecycle is
checked later, against the store; this module checks shape and vocabulary.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dashboard.domain.times import parse_iso

KINDS = ("incident", "patrol", "mediation")

TYPES: dict[str, tuple[str, ...]] = {
    "incident": ("reported", "dispatched", "acknowledged", "arrived", "resolved", "closed", "reopened"),
    "patrol": ("started", "checkpoint", "position", "anomaly", "ended"),
    "mediation": ("accepted", "session", "agreed", "failed", "transferred", "closed"),
}

# An incident the dashboard opened for a patrol's anomaly that named no category.
PATROL_FINDING = "patrol_finding"

# Incident categories (CONTRACT list, extendable): code -> (Chinese, English).
INCIDENT_CATEGORIES: dict[str, tuple[str, str]] = {
    "property_fee": ("拒交物业费", "Unpaid property fees"),
    "illegal_construction": ("违法搭建", "Illegal construction"),
    "garage_digging": ("私挖车库", "Private garage digging"),
    "green_space": ("占用公共绿地", "Occupied green space"),
    "property_service": ("物业服务缺失", "Missing property service"),
    "neighbourhood_dispute": ("矛盾纠纷", "Neighbourhood dispute"),
    "public_order": ("治安", "Public order"),
    "sanitation": ("环境卫生", "Sanitation"),
    "parking": ("乱停车", "Parking disorder"),
    "collective_petition": ("集体上访", "Collective petition"),
    "safety_hazard": ("安全隐患", "Safety hazard"),
    PATROL_FINDING: ("巡逻发现", "Patrol finding"),
}

MEDIATION_CHANNELS: dict[str, tuple[str, str]] = {
    "people": ("人民调解", "People's mediation"),
    "administrative": ("行政调解", "Administrative mediation"),
    "judicial": ("司法调解", "Judicial mediation"),
}
# Where a mediation may be transferred: another channel, or out of mediation.
TRANSFER_TARGETS = (*MEDIATION_CHANNELS, "litigation", "police", "petition")

TEAM_KINDS = ("police", "security_patrol", "grid_worker", "village_cadre")

MAX_BATCH = 1000


class Location(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class EventIn(BaseModel):
    """One event as a source sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=128)
    source: str = Field(min_length=1, max_length=64)
    kind: Literal["incident", "patrol", "mediation"]
    type: str = Field(min_length=1, max_length=32)
    ref: str = Field(min_length=1, max_length=128)
    unit: str = Field(min_length=1, max_length=64)
    occurred_at: datetime
    category: str | None = Field(default=None, max_length=64)
    priority: int | None = Field(default=None, ge=1, le=4)
    title: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, max_length=5000)
    actor: str | None = Field(default=None, max_length=200)
    location: Location | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _rfc3339_with_offset(cls, value: Any) -> Any:
        # Only strings: a bare number would be read as epoch seconds by pydantic.
        if not isinstance(value, str):
            raise ValueError("must be an RFC 3339 timestamp string with offset, e.g. 2026-11-27T09:30:00+08:00")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _offset_required(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("timestamp needs a UTC offset, e.g. 2026-11-27T09:30:00+08:00")
        return value.astimezone(timezone.utc)

    @field_validator("priority", mode="before")
    @classmethod
    def _integer_priority(cls, value: Any) -> Any:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError("must be an integer from 1 (urgent) to 4 (routine)")
        return value

    @model_validator(mode="after")
    def _fits_kind(self) -> "EventIn":
        if self.type not in TYPES[self.kind]:
            raise _FieldError("type", f"{self.type!r} is not a {self.kind} event type; expected one of {', '.join(TYPES[self.kind])}")
        if self.kind == "incident" and self.type == "reported":
            if self.category is None:
                raise _FieldError("category", "required on an incident 'reported' event")
            if self.category not in INCIDENT_CATEGORIES:
                raise _FieldError("category", f"unknown incident category {self.category!r}; expected one of {', '.join(INCIDENT_CATEGORIES)}")
            if self.priority is None:
                raise _FieldError("priority", "required on an incident 'reported' event (1 urgent .. 4 routine)")
        if self.kind == "mediation" and self.type == "accepted":
            if self.category not in MEDIATION_CHANNELS:
                raise _FieldError("category", f"a mediation 'accepted' event names its channel: one of {', '.join(MEDIATION_CHANNELS)}")
        if self.kind == "patrol":
            _check_patrol_attributes(self)
        if self.kind == "mediation" and self.type == "transferred":
            target = self.attributes.get("to")
            if target not in TRANSFER_TARGETS:
                raise _FieldError("attributes.to", f"a 'transferred' event names its target: one of {', '.join(TRANSFER_TARGETS)}")
        return self


class _FieldError(ValueError):
    """A model-level check that blames one field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _check_patrol_attributes(event: EventIn) -> None:
    attrs = event.attributes
    if event.type == "started":
        if not isinstance(attrs.get("team"), str) or not attrs["team"].strip():
            raise _FieldError("attributes.team", "a patrol 'started' event names its team")
        if attrs.get("team_kind") not in TEAM_KINDS:
            raise _FieldError("attributes.team_kind", f"expected one of {', '.join(TEAM_KINDS)}")
        checkpoints = attrs.get("checkpoints")
        if not isinstance(checkpoints, list) or not checkpoints:
            raise _FieldError("attributes.checkpoints", "a non-empty list of {name, unit, due_at} planned in order")
        for i, cp in enumerate(checkpoints):
            _check_checkpoint(i, cp)
    elif event.type == "checkpoint":
        if not isinstance(attrs.get("checkpoint"), str) or not attrs["checkpoint"]:
            raise _FieldError("attributes.checkpoint", "a 'checkpoint' event names the planned checkpoint reached")
    elif event.type == "anomaly":
        _check_anomaly(attrs)


def _check_anomaly(attrs: dict[str, Any]) -> None:
    """The optional fields about the incident an anomaly found (dashboard.actions.patrols)."""
    ref = attrs.get("incident_ref")
    if ref is not None and (not isinstance(ref, str) or not ref.strip() or len(ref) > 128):
        raise _FieldError("attributes.incident_ref", "the ref of the incident the source reports for this anomaly: "
                                                     "text of 1 to 128 characters")
    if "category" in attrs and not (isinstance(attrs["category"], str) and attrs["category"] in INCIDENT_CATEGORIES):
        raise _FieldError("attributes.category", f"unknown incident category {attrs['category']!r}; expected one of {', '.join(INCIDENT_CATEGORIES)}")
    priority = attrs.get("priority")
    if "priority" in attrs and (isinstance(priority, bool) or priority not in (1, 2, 3, 4)):
        raise _FieldError("attributes.priority", "an integer from 1 (urgent) to 4 (routine)")


def _check_checkpoint(i: int, cp: Any) -> None:
    where = f"attributes.checkpoints[{i}]"
    if not isinstance(cp, dict):
        raise _FieldError(where, "must be an object {name, unit, due_at}")
    for key in ("name", "unit", "due_at"):
        if not isinstance(cp.get(key), str) or not cp[key]:
            raise _FieldError(f"{where}.{key}", "required text")
    try:
        due = parse_iso(cp["due_at"])
    except ValueError:
        raise _FieldError(f"{where}.due_at", "must be an RFC 3339 timestamp with offset") from None
    if due.tzinfo is None:
        raise _FieldError(f"{where}.due_at", "timestamp needs a UTC offset")


class Problem(BaseModel):
    """One reason a batch was rejected (CONTRACT 422 `details` entry)."""

    index: int
    field: str
    message: str


def parse_event(index: int, raw: Any) -> tuple[EventIn | None, list[Problem]]:
    """Validate one raw event; return it or the problems found, each naming a field."""
    if not isinstance(raw, dict):
        return None, [Problem(index=index, field="", message="an event must be a JSON object")]
    try:
        return EventIn.model_validate(raw), []
    except ValidationError as exc:
        return None, [_problem(index, err) for err in exc.errors()]


def _problem(index: int, err: Any) -> Problem:
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, _FieldError):
        return Problem(index=index, field=cause.field, message=cause.message)
    field = ".".join(str(p) for p in err["loc"])
    message = err["msg"]
    if err["type"] == "missing":
        message = "required field is missing"
    elif err["type"] == "extra_forbidden":
        message = "unknown field (extra data belongs in 'attributes')"
    elif message.startswith("Value error, "):
        message = message[len("Value error, "):]
    return Problem(index=index, field=field, message=message)


def parse_batch(body: Any) -> tuple[list[EventIn], list[Problem]]:
    """Validate a body: one event object or a JSON array of up to MAX_BATCH events."""
    items = body if isinstance(body, list) else [body]
    if isinstance(body, list) and not body:
        return [], [Problem(index=0, field="", message="empty batch: send one event or an array of 1 to 1000")]
    if len(items) > MAX_BATCH:
        return [], [Problem(index=MAX_BATCH, field="", message=f"a batch holds at most {MAX_BATCH} events, got {len(items)}")]
    events: list[EventIn] = []
    problems: list[Problem] = []
    for i, raw in enumerate(items):
        event, found = parse_event(i, raw)
        problems.extend(found)
        if event is not None:
            events.append(event)
    return events, problems
