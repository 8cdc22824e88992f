"""A patrol's `anomaly` and the incident it found (DOMAIN "Patrols": an anomaly
opens an incident), exactly one incident per anomaly whatever the order its
events arrive in.

The rule:

1. An anomaly that names `attributes.incident_ref` says that the source
   reports that incident itself, under that ref (the simulator sends its
   `reported` event a second after the anomaly; another source may send it
   before). The dashboard creates nothing: the incident opens with the
   source's own report, before or after the anomaly. The patrol links to it
   (`details.anomalies[i].incident_ref`, with `source_reports: true`), and the
   incident links back (`details.patrol_ref`) when its report carries
   `attributes.patrol_ref`, as the simulator's does. Until that report has
   arrived the patrol panel lists the anomaly as awaiting its report.
2. An anomaly without `incident_ref` is an incident only the patrol reported:
   ingest stores, right after the anomaly and in the same transaction, the
   dashboard's own `reported` event for `<patrol ref>-A<n>` (the patrol's n-th
   anomaly; `anomaly_report`): source `dashboard`, id `anomaly-<hash of the
   anomaly's source and id>` (the same on every replay of a log), the
   anomaly's unit, time, title, actor and location, `attributes.category` and
   `attributes.priority` of the anomaly when given, else category
   `patrol_finding` (巡逻发现) and priority 3, and `attributes =
   {patrol_ref, anomaly: {source, id}}`. The incident opens from it with
   `details.patrol_ref` and `details.opened_by = "anomaly"`, clocks, alerts and
   walls like any other. Should that ref exist already, nothing is created.

So every incident has exactly one `reported` event, whoever sent it; the
event log alone rebuilds every state (the derived report is an event like any
other), and counts of reported incidents need no special case.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from dashboard.domain.events import INCIDENT_CATEGORIES, PATROL_FINDING, EventIn, Location
from dashboard.domain.lifecycle import DERIVED_SOURCE, MAX_REF, ItemState
from dashboard.store.models import Item

log = logging.getLogger(__name__)

DEFAULT_PRIORITY = 3


def anomaly_report(session: Session, event: EventIn, patrol: ItemState,
                   items: Mapping[tuple[str, str], Any]) -> EventIn | None:
    """The dashboard's own `reported` event for the incident a just-applied anomaly
    found (rule 2), or None: the source reports it itself (rule 1), or it exists.
    `patrol` is the patrol's state after the anomaly; `items` the batch's items by (kind, ref)."""
    entry = next((a for a in reversed(patrol.details.get("anomalies") or ()) if a.get("event_id") == event.id), None)
    if entry is None or entry.get("source_reports"):
        return None
    ref = entry.get("incident_ref")
    if not isinstance(ref, str) or not ref or len(ref) > MAX_REF:
        log.warning("anomaly %s/%s of patrol %s names no usable incident ref (%r)", event.source, event.id,
                    patrol.ref, ref)
        return None
    if ("incident", ref) in items or session.execute(
            select(Item.id).where(Item.kind == "incident", Item.ref == ref)).first() is not None:
        return None
    return derived_report(event, ref, patrol)


def derived_id(event: EventIn) -> str:
    """Fixed by the anomaly's (source, id): a replayed log finds it again, a duplicate."""
    return "anomaly-" + hashlib.sha1(f"{event.source}\x00{event.id}".encode()).hexdigest()[:32]


def derived_report(event: EventIn, ref: str, patrol: ItemState) -> EventIn:
    attrs = event.attributes
    category = attrs.get("category") if attrs.get("category") in INCIDENT_CATEGORIES else PATROL_FINDING
    priority = attrs.get("priority")
    if isinstance(priority, bool) or priority not in (1, 2, 3, 4):
        priority = DEFAULT_PRIORITY
    team = patrol.details.get("team") or patrol.ref
    location = Location(lat=event.location.lat, lon=event.location.lon) if event.location else None
    return EventIn(id=derived_id(event), source=DERIVED_SOURCE, kind="incident", type="reported", ref=ref,
                   unit=event.unit, occurred_at=event.occurred_at.isoformat(), category=category, priority=priority,
                   title=event.title or f"巡逻发现异常：{team}", description=event.description,
                   actor=event.actor or team, location=location,
                   attributes={"patrol_ref": patrol.ref, "anomaly": {"source": event.source, "id": event.id}})
