"""The answers of the HTTP API as pydantic models: the source of the response
schemas in the OpenAPI document (dashboard/api/openapi.py), next to the request
and message models the code validates with (dashboard/domain/events.py,
dashboard/domain/messages.py).

Answers are open objects (`extra="allow"`): a field added later is not a
breaking change, and a generated client keeps what it does not know.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dashboard.domain.messages import AlertMessage, EventMessage, ItemSummary

UnitLevel = Literal["district", "street", "community", "grid"]


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorDetail(Open):
    index: int = Field(description="position of the event in the batch (0 for a single object or a query)")
    field: str = Field(description="the field or parameter, dotted for nested ones (attributes.team)")
    message: str


class Error(Open):
    """Every 4xx and 5xx answer of /api/v1."""

    error: str = Field(description="what is wrong, and where")
    details: list[ErrorDetail] | None = None


class IngestResultEntry(Open):
    id: str = Field(description="the source's id of the event")
    seq: int = Field(description="its seq (the stored one's, for a duplicate)")
    duplicate: bool | None = Field(default=None, description="true when (source, id) was stored before")


class IngestResult(Open):
    """202: every event of the batch is stored (or was already)."""

    accepted: int
    duplicates: int
    results: list[IngestResultEntry]


class Unit(Open):
    code: str
    name: str
    name_en: str | None = None
    level: UnitLevel
    synthetic: bool | None = None
    children: list["Unit"]


class Incidents(Open):
    unit: str
    status: Literal["open", "closed", "all"]
    count: int
    incidents: list[ItemSummary]


class StreamMessage(Open):
    seq: int
    name: Literal["event", "alert"]
    data: EventMessage | AlertMessage


class StreamPage(Open):
    unit: str
    after: int
    head: int = Field(description="the highest seq stored when the page was read")
    messages: list[StreamMessage]
    more: bool = Field(description="true when the page is full and more messages follow: ask again after the last seq")


class Alerts(Open):
    unit: str
    state: Literal["active", "all"]
    count: int
    alerts: list[AlertMessage]
    head: int
    server_time: str


class BulkResult(Open):
    id: Any
    status: int = Field(description="the HTTP status the single-alert call would have answered")
    error: str | None = None


class BulkResults(Open):
    results: list[BulkResult]


class WallSnapshot(Open):
    """Everything a wall shows; resume on /live after `head`."""

    unit: str
    head: int
    server_time: str
    day_start: str
    day_end: str
    month_start: str
    items: list[ItemSummary]
    items_truncated: bool
    recent: list[StreamMessage]
    alerts: list[AlertMessage]
    today: dict[str, Any]
    covered: list[str]
    stats: dict[str, Any]
    drill: bool


class WallAccess(Open):
    ok: bool


class PatrolSummary(Open):
    unit: str
    day: str
    day_start: str
    day_end: str
    head: int
    server_time: str
    active: int
    grids: int
    covered: int
    by_child: dict[str, Any]
    overdue_checkpoints: list[dict[str, Any]]
    patrols: list[dict[str, Any]]


class MediationSummary(Open):
    unit: str
    month_start: str
    head: int
    server_time: str
    open: int
    overdue: int
    open_by_channel: dict[str, Any]
    success_rate_month: float | None
    transfers_month: list[dict[str, Any]]
    open_cases: list[dict[str, Any]]


class TrendIndex(Open):
    unit: str
    panels: dict[str, list[str]] = Field(description="panel name → its columns")
    head: int
    server_time: str


class TrendPanel(Open):
    panel: str
    unit: str
    from_: str = Field(alias="from")
    to: str
    grain: Literal["hour", "day", "month"] | None = Field(description="the time bucket of time-series panels")
    categories: list[str]
    priorities: list[int]
    filtered: bool = Field(description="whether category and priority apply to this panel")
    columns: list[str]
    rows: list[dict[str, Any]]
    count: int


class Me(Open):
    id: int
    name: str
    role: Literal["duty", "leader", "staff", "admin"]
    unit: str
    unit_name: str | None = None
    unit_name_en: str | None = None
    unit_level: UnitLevel | None = None


class TimelineEntry(Open):
    at: str | None
    seq: int
    type: str
    user: str | None = None
    note: str | None = None


class CaseFile(Open):
    """A case file: facts, stage clocks and the timeline in seq order."""

    kind: Literal["incident", "patrol", "mediation"]
    ref: str
    timeline: list[TimelineEntry]


class Health(Open):
    status: str


class Ready(Open):
    status: Literal["ready"]
    head: int
    units: int


class NotReady(Open):
    status: Literal["unavailable"]
    database: str


RESPONSE_MODELS: tuple[type[BaseModel], ...] = (
    Error, IngestResult, Unit, Incidents, StreamPage, Alerts, BulkResults, WallSnapshot, WallAccess,
    PatrolSummary, MediationSummary, TrendIndex, TrendPanel, Me, CaseFile,
    Health, Ready, NotReady)  # the messages' schemas (dashboard/domain/messages.py) come in through their refs
