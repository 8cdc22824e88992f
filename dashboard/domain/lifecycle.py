"""The state of each incident, patrol and mediation, derived from its events.

Pure: no I/O, no clock; time comes from each event's `occurred_at`.
`apply_event(state, event)` returns a NEW `ItemState` (never mutates its input)
or raises `LifecycleError` naming the event field to blame (the API's 422).

| kind     | rule                                                             | field                 |
| all      | opening event (reported/started/accepted) only on a new ref      | ref                   |
| all      | any other event only on an existing ref                          | ref                   |
| all      | event kind = item kind                                           | kind                  |
| all      | event unit = opening unit (patrol checkpoint/position/anomaly    | unit                  |
|          |   excepted: they happen in other grids)                          |                       |
| all      | occurred_at >= opened_at; late events ok, updated_at = max       | occurred_at           |
| all      | category, priority, title are taken from the opening event only  | -                     |
| incident | reported > dispatched > acknowledged > arrived > resolved >      | type                  |
|          |   closed: only forward (skips ok; repeats and backwards not)     |                       |
| incident | closed: nothing but reopened                                     | type                  |
| incident | reopened only from resolved/closed -> status `reopened` (ranks   | type                  |
|          |   like reported); clears resolved/closed stages; reopen_count+1  |                       |
| incident | stages keep the first time reached (per reopen cycle)            | -                     |
| patrol   | started -> active; ended -> ended; nothing after ended           | type                  |
| patrol   | checkpoint names a planned one; twice keeps the earliest time;   | attributes.checkpoint |
|          |   out-of-plan order allowed, flagged `out_of_order`              |                       |
| patrol   | planned checkpoint names must be unique                          | attributes.checkpoints[i].name |
| mediation| session (-> in_mediation), agreed, failed: from accepted or      | type                  |
|          |   in_mediation                                                   |                       |
| mediation| transferred from accepted/in_mediation/failed: to another        | type                  |
|          |   channel -> in_mediation there (category = it); to litigation/  |                       |
|          |   police/petition -> transferred; details.path += target         |                       |
| mediation| transferred to its current channel                               | attributes.to         |
| mediation| closed from any status but closed; outcome agreed/failed/        | type                  |
|          |   transferred, or withdrawn (from accepted/in_mediation)         |                       |
| patrol   | anomaly names its incident in details.anomalies: the source's    | -                     |
|          |   attributes.incident_ref (it reports that incident itself), else|                       |
|          |   "<patrol ref>-A<n>", which the dashboard opens (actions/patrols)|                      |
| incident | dispatched: details.dispatches += {department, at}; arrived /  | -                     |
|          |   resolved / closed fill the latest one (domain.departments)     |                       |
| incident | reported with attributes.patrol_ref: details.patrol_ref; the     | -                     |
|          |   dashboard's own report of an anomaly: details.opened_by        |                       |

is_open: incident not resolved/closed (resolved awaits feedback, no more work);
patrol active; mediation accepted/in_mediation/transferred (agreed/failed await
closing and are not open cases; a transferred case stays open until closed).
A checkpoint's grid is the unit it was reached in (the checkpoint event's unit).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from dashboard.domain.departments import record_dispatch, record_progress
from dashboard.domain.events import MEDIATION_CHANNELS, EventIn

INCIDENT_FLOW = ("reported", "dispatched", "acknowledged", "arrived", "resolved", "closed")
INCIDENT_STATUSES = (*INCIDENT_FLOW, "reopened")
PATROL_STATUSES = ("active", "ended")
MEDIATION_STATUSES = ("accepted", "in_mediation", "agreed", "failed", "transferred", "closed")

OPENING = {"incident": "reported", "patrol": "started", "mediation": "accepted"}
# The source of the events the dashboard derives itself: the report of the incident a
# patrol anomaly opens (dashboard.actions.patrols), with attributes.anomaly = {source, id}.
DERIVED_SOURCE = "dashboard"
MAX_REF = 128  # CONTRACT: a ref is at most 128 characters
_OPENED_STATUS = {"incident": "reported", "patrol": "active", "mediation": "accepted"}
# A reopened incident is back at the start: any forward stage may follow.
_INCIDENT_RANK = {status: i for i, status in enumerate(INCIDENT_FLOW)} | {"reopened": 0}
# Patrol events that happen in whatever grid the route passes through.
_ROAMING = frozenset({"checkpoint", "position", "anomaly"})
_NOT_OPEN = {"incident": ("resolved", "closed"), "patrol": ("ended",), "mediation": ("agreed", "failed", "closed")}
_MEDIATING = ("accepted", "in_mediation")
_TRANSFERABLE = (*_MEDIATING, "failed")
_OUTCOME = {"agreed": "agreed", "failed": "failed", "transferred": "transferred"}


class LifecycleError(ValueError):
    """An event that does not fit the state of its ref; blames one event field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class ItemState:
    kind: str
    ref: str
    unit: str
    status: str
    opened_at: datetime
    updated_at: datetime
    category: str | None = None
    priority: int | None = None
    title: str | None = None
    stages: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.status not in _NOT_OPEN.get(self.kind, ())

    def __deepcopy__(self, memo: dict) -> "ItemState":
        # Every event copies the state (apply_event): copy only what is mutable, and
        # `details` as the JSON it is, which is several times faster than the generic deepcopy.
        return replace(self, stages=dict(self.stages), details=_copy_json(self.details))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able copy; `is_open` is included for readers and ignored by from_dict."""
        return {
            "kind": self.kind, "ref": self.ref, "unit": self.unit, "status": self.status,
            "opened_at": _iso(self.opened_at), "updated_at": _iso(self.updated_at),
            "category": self.category, "priority": self.priority, "title": self.title,
            "stages": dict(self.stages), "details": _copy_json(self.details),
            "is_open": self.is_open,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ItemState:
        return cls(
            kind=d["kind"], ref=d["ref"], unit=d["unit"], status=d["status"],
            opened_at=_parse(d["opened_at"]), updated_at=_parse(d["updated_at"]),
            category=d.get("category"), priority=d.get("priority"), title=d.get("title"),
            stages=dict(d.get("stages") or {}), details=_copy_json(dict(d.get("details") or {})),
        )


def _copy_json(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, immutable leaves): what copy.deepcopy
    returns for it, several times faster (every event copies its item's details)."""
    if isinstance(value, dict):
        return {k: _copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_json(v) for v in value]
    return value  # str, number, bool, None, datetime: immutable


def apply_event(state: ItemState | None, event: EventIn) -> ItemState:
    """The state after `event`; `state` is None for a ref not seen before."""
    if state is None:
        return _open(event)
    _check_common(state, event)
    new = state.__deepcopy__({})  # work on a copy: callers keep the old state intact
    new.updated_at = max(state.updated_at, event.occurred_at)
    _APPLY[state.kind](new, event)
    return new


def next_checkpoint(state: ItemState) -> dict[str, Any] | None:
    """First unreached checkpoint in plan order of an active patrol (a copy), else None."""
    if state.kind != "patrol" or state.status != "active":
        return None
    return next((dict(cp) for cp in state.details.get("checkpoints", ()) if cp.get("reached_at") is None), None)


def covered_grids(states: Iterable[ItemState], day_start: datetime, day_end: datetime) -> set[str]:
    """Units where a patrol reached a checkpoint with reached_at in [day_start, day_end).

    Each checkpoint counts on the day it was reached, so a patrol crossing
    midnight covers grids on both days.
    """
    if day_start.tzinfo is None or day_end.tzinfo is None:
        raise ValueError("day_start and day_end must carry a UTC offset")
    return {cp.get("reached_unit") or cp["unit"]
            for state in states if state.kind == "patrol"
            for cp in state.details.get("checkpoints", ())
            if cp.get("reached_at") is not None and day_start <= _parse(cp["reached_at"]) < day_end}


# --- common ---------------------------------------------------------------

def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat()


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def _open(event: EventIn) -> ItemState:
    opening = OPENING[event.kind]
    if event.type != opening:
        raise LifecycleError("ref", f"{event.kind} {event.ref} does not exist (no {opening!r} event yet); {event.type!r} cannot be applied")
    state = ItemState(kind=event.kind, ref=event.ref, unit=event.unit, status=_OPENED_STATUS[event.kind],
                      opened_at=event.occurred_at, updated_at=event.occurred_at,
                      category=None if event.kind == "patrol" else event.category, priority=event.priority, title=event.title,
                      stages={opening: _iso(event.occurred_at)})
    if event.kind == "incident":
        state.details = {"source": event.source, "location": _location(event),
                         "reopen_count": 0, "reopened_at": None, **_incident_links(event)}
    elif event.kind == "patrol":
        state.details = _patrol_details(event)
    else:
        state.details = {"path": [event.category], "sessions": 0, "last_session_at": None, "outcome": None}
    return state


def _check_common(state: ItemState, event: EventIn) -> None:
    name = f"{state.kind} {state.ref}"
    if event.kind != state.kind:
        raise LifecycleError("kind", f"{state.ref} is of kind {state.kind}, not {event.kind}; a {event.kind} {event.type!r} event cannot apply to it")
    if event.ref != state.ref:
        raise LifecycleError("ref", f"event is for {event.ref} but was applied to {name}")
    if event.type == OPENING[state.kind]:
        raise LifecycleError("ref", f"{name} already exists (opened {_iso(state.opened_at)}); a second {event.type!r} cannot open it again")
    if event.unit != state.unit and not (state.kind == "patrol" and event.type in _ROAMING):
        raise LifecycleError("unit", f"{name} belongs to unit {state.unit}; a {event.type!r} event from unit {event.unit} cannot apply to it")
    if event.occurred_at < state.opened_at:
        raise LifecycleError("occurred_at", f"{name} was opened at {_iso(state.opened_at)}; an event at {_iso(event.occurred_at)} cannot precede its opening")


def _location(event: EventIn) -> dict[str, Any] | None:
    if event.location is None:
        return None
    return {"lat": event.location.lat, "lon": event.location.lon, "at": _iso(event.occurred_at)}


# --- incident -------------------------------------------------------------

def _incident_links(event: EventIn) -> dict[str, Any]:
    """An incident found by a patrol names it; one the dashboard opened for an anomaly says so."""
    attrs, links = event.attributes, {}
    if attrs.get("patrol_ref"):
        links["patrol_ref"] = str(attrs["patrol_ref"])
    anomaly = attrs.get("anomaly")
    if event.source == DERIVED_SOURCE and isinstance(anomaly, dict):
        links.update(opened_by="anomaly", source=anomaly.get("source"))
    return links


def _apply_incident(state: ItemState, event: EventIn) -> None:
    at = _iso(event.occurred_at)
    if event.type == "reopened":
        if state.status not in ("resolved", "closed"):
            raise LifecycleError("type", f"incident {state.ref} is {state.status}; only a resolved or closed incident can be 'reopened'")
        state.status = "reopened"
        state.stages.pop("resolved", None)
        state.stages.pop("closed", None)
        state.details["reopen_count"] = state.details.get("reopen_count", 0) + 1
        state.details["reopened_at"] = at
        return
    if state.status == "closed":
        raise LifecycleError("type", f"incident {state.ref} is closed; only 'reopened' can follow, not {event.type!r}")
    if _INCIDENT_RANK[event.type] <= _INCIDENT_RANK[state.status]:
        raise LifecycleError("type", f"incident {state.ref} is already {state.status}; {event.type!r} cannot follow")
    state.status = event.type
    state.stages.setdefault(event.type, at)
    if event.type == "dispatched":
        record_dispatch(state.details, event.attributes.get("department"), at)
    else:
        record_progress(state.details, event.type, at)


# --- patrol ---------------------------------------------------------------

def _patrol_details(event: EventIn) -> dict[str, Any]:
    attrs = event.attributes
    checkpoints: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, cp in enumerate(attrs["checkpoints"]):
        if cp["name"] in seen:  # a checkpoint event names one; duplicates would be ambiguous
            raise LifecycleError(f"attributes.checkpoints[{i}].name", f"checkpoint name {cp['name']!r} is planned twice in patrol {event.ref}; names must be unique")
        seen.add(cp["name"])
        checkpoints.append({"name": cp["name"], "unit": cp["unit"], "due_at": _iso(_parse(cp["due_at"])),
                            "reached_at": None, "reached_unit": None, "out_of_order": False})
    return {"team": attrs["team"], "team_kind": attrs["team_kind"], "checkpoints": checkpoints,
            "positions": 0, "last_position": _location(event), "anomalies": []}


def _apply_patrol(state: ItemState, event: EventIn) -> None:
    if state.status == "ended":
        raise LifecycleError("type", f"patrol {state.ref} has ended; {event.type!r} cannot follow")
    _note_position(state, event)
    if event.type == "checkpoint":
        _reach_checkpoint(state, event)
    elif event.type == "position":
        state.details["positions"] = state.details.get("positions", 0) + 1
    elif event.type == "anomaly":
        anomalies = state.details.setdefault("anomalies", [])
        given = event.attributes.get("incident_ref")
        named = given is not None and bool(str(given).strip())
        anomalies.append({
            "event_id": event.id, "at": _iso(event.occurred_at), "unit": event.unit,
            "incident_ref": str(given).strip() if named else anomaly_incident_ref(state.ref, len(anomalies) + 1),
            "source_reports": named})
    elif event.type == "ended":
        state.status = "ended"
        state.stages.setdefault("ended", _iso(event.occurred_at))


def anomaly_incident_ref(patrol_ref: str, n: int) -> str:
    """The ref of the incident the dashboard opens for a patrol's n-th anomaly."""
    suffix = f"-A{n}"
    if len(patrol_ref) + len(suffix) <= MAX_REF:
        return patrol_ref + suffix
    digest = hashlib.sha1(patrol_ref.encode()).hexdigest()[:12]  # a ref near the limit: still unique
    return f"{patrol_ref[:MAX_REF - len(suffix) - 13]}~{digest}{suffix}"


def _note_position(state: ItemState, event: EventIn) -> None:
    # A late event must not overwrite a newer position.
    where = _location(event)
    last = state.details.get("last_position")
    if where is not None and (last is None or event.occurred_at >= _parse(last["at"])):
        state.details["last_position"] = where


def _reach_checkpoint(state: ItemState, event: EventIn) -> None:
    name = event.attributes["checkpoint"]
    checkpoints = state.details["checkpoints"]
    cp = next((c for c in checkpoints if c["name"] == name), None)
    if cp is None:
        planned = ", ".join(c["name"] for c in checkpoints)
        raise LifecycleError("attributes.checkpoint", f"patrol {state.ref} has no planned checkpoint {name!r}; planned: {planned}")
    # Keep the earliest time: a repeat (or a late upload) must not move it.
    if cp["reached_at"] is None or event.occurred_at < _parse(cp["reached_at"]):
        cp["reached_at"] = _iso(event.occurred_at)
        cp["reached_unit"] = event.unit
    _mark_order(checkpoints)


def _mark_order(checkpoints: list[dict[str, Any]]) -> None:
    """Flag reached checkpoints reached before an earlier planned one (recomputed: late events)."""
    for i, cp in enumerate(checkpoints):
        if cp["reached_at"] is None:
            cp["out_of_order"] = False
            continue
        reached = _parse(cp["reached_at"])
        cp["out_of_order"] = any(p["reached_at"] is None or _parse(p["reached_at"]) > reached
                                 for p in checkpoints[:i])


# --- mediation ------------------------------------------------------------

def _apply_mediation(state: ItemState, event: EventIn) -> None:
    at = _iso(event.occurred_at)
    if state.status == "closed":
        raise LifecycleError("type", f"mediation {state.ref} is closed; {event.type!r} cannot follow")
    if event.type == "closed":
        state.details["outcome"] = _OUTCOME.get(state.status, "withdrawn")
        state.status = "closed"
        state.stages.setdefault("closed", at)
    elif event.type == "transferred":
        _transfer(state, event)
    elif state.status not in _MEDIATING:
        raise LifecycleError("type", f"mediation {state.ref} is {state.status}; {event.type!r} needs a case that is accepted or in mediation")
    elif event.type == "session":
        state.status = "in_mediation"
        state.details["sessions"] = state.details.get("sessions", 0) + 1
        state.details["last_session_at"] = max(at, state.details.get("last_session_at") or at, key=_parse)
        state.stages.setdefault("in_mediation", at)
    else:  # agreed | failed
        state.status = event.type
        state.stages.setdefault(event.type, at)


def _transfer(state: ItemState, event: EventIn) -> None:
    target = event.attributes["to"]
    if state.status not in _TRANSFERABLE:
        raise LifecycleError("type", f"mediation {state.ref} is {state.status}; only a case accepted, in mediation or failed can be 'transferred'")
    if target == state.category:
        raise LifecycleError("attributes.to", f"mediation {state.ref} is already in the {target} channel; it cannot be transferred to it")
    state.details.setdefault("path", []).append(target)
    state.stages.setdefault("transferred", _iso(event.occurred_at))
    if target in MEDIATION_CHANNELS:  # the case continues in the new channel
        state.category = target
        state.status = "in_mediation"
    else:  # litigation, police, petition: out of mediation, open until closed
        state.status = "transferred"


_APPLY = {"incident": _apply_incident, "patrol": _apply_patrol, "mediation": _apply_mediation}
