"""The demo's first-run history: the simulator's last weeks written in bulk, so a
leader opening /trends in a fresh demo sees trends, not a single day.

The events come from the same Simulator instance the live demo then keeps
ticking (dashboard.demo.runner): an item opened in the history closes live, on
schedule, and the open count is in steady state from the first minute.

Consistent with ingest by construction: every event goes through the same
lifecycle, clocks and rollup facts (dashboard.actions.rollups.Replayer), and is
stored with a seq; every alert the history holds is written with its whole
audit log (raised, escalated, acknowledged, re-armed, resolved, at the times the
duty officers of dashboard.demo.duty would have acted), its rollup facts from
that log. So `rebuild-rollups` computes the same rows. A deadline missed
before `now` whose alert would still be active is left to the live sweep,
which raises it on its first pass.

Fast: no validation beyond the simulator's own (its events are tested against
the contract), plain bulk inserts, one transaction.
"""
from __future__ import annotations

import heapq
import time
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from dashboard.actions.alerts import new_alert
from dashboard.actions.rollups import Replayer
from dashboard.demo.duty import ack_delay, ack_note, alert_key, officer, surge_resolve_delay, SURGE_NOTE
from dashboard.domain.alert_rules import holder_unit, reason_for
from dashboard.domain.clocks import alert_key as stage_key, cycle_of, next_due
from dashboard.domain.escalation import UP
from dashboard.domain.events import EventIn, Location
from dashboard.domain.policy import format_duration
from dashboard.domain.times import parse_iso_utc
from dashboard.services import Services
from dashboard.store import rollups
from dashboard.store.models import Alert, AlertLog, Event, Item
from dashboard.store.seq import SeqBlock

CHUNK = 20000
Change = tuple[str, str, datetime, str, str | None]   # action, to level, at, actor, note


@dataclass
class Seeded:
    """What a bulk load of history wrote, and how long it took (seconds by phase)."""
    events: int = 0
    items: int = 0
    alerts: int = 0
    alert_changes: int = 0
    rollup_rows: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def to_event(raw: dict[str, Any]) -> EventIn:
    """A simulator event as ingest would have parsed it (UTC time), without re-validating."""
    loc = raw.get("location")
    return EventIn.model_construct(
        id=raw["id"], source=raw["source"], kind=raw["kind"], type=raw["type"], ref=raw["ref"], unit=raw["unit"],
        occurred_at=parse_iso_utc(raw["occurred_at"]),
        category=raw.get("category"), priority=raw.get("priority"), title=raw.get("title"),
        description=raw.get("description"), actor=raw.get("actor"),
        location=Location.model_construct(**loc) if loc else None, attributes=raw.get("attributes") or {})


def seed_history(svc: Services, raw: Iterable[dict[str, Any]], now: datetime) -> Seeded:
    """Store the simulator's events up to `now` (an empty database), their items, alerts and rollups."""
    began, out = time.perf_counter(), Seeded()
    replayer, events = Replayer(svc.policy), []
    for r in raw:
        ev = to_event(r)
        if replayer.apply(ev) is not None:  # (the simulator's lifecycles are valid: none is refused)
            events.append(ev)
    out.seconds["replay"] = time.perf_counter() - began
    alerts = _Alerts(svc, now)
    alerted = {key: alerts.for_item(state, replayer.full_state(key)) for key, (state, _) in replayer.states.items()}
    alerts.surges(events, svc.policy.surge_window, svc.policy.surge_count)
    for row, changes in alerts.made:
        dispatches = _dispatches(replayer, row)
        for action, level, at, _, _ in changes:
            replayer.alert(unit=row["unit"], category=row["category"], priority=row["priority"],
                           action=action, level=level, at=at, department=_holding(dispatches, at))
    out.seconds["alerts"] = time.perf_counter() - began
    with Session(svc.engine) as session:
        seqs = SeqBlock(session)
        last_seq = _write_log(session, svc, seqs, events, alerts.made, now)
        out.seconds["log"] = time.perf_counter() - began
        out.items = _write_items(session, svc, replayer, alerted, last_seq)
        out.seconds["items"] = time.perf_counter() - began
        expanded = rollups.expand(replayer.facts, svc.tree)
        out.seconds["expand"] = time.perf_counter() - began
        out.rollup_rows = rollups.bulk_load(session, expanded, svc.tree)
        out.seconds["rollups"] = time.perf_counter() - began
        seqs.save()
        session.commit()
    out.events, out.alerts = len(events), len(alerts.made)
    out.alert_changes = sum(len(changes) for _, changes in alerts.made)
    out.seconds["total"] = time.perf_counter() - began
    return out


def _dispatches(replayer: Replayer, row: dict) -> list[tuple[datetime, str | None]]:
    """The item's dispatches (time, department), oldest first: who held it when."""
    key = (row["kind"], row["ref"])
    if row["kind"] != "incident" or key not in replayer.states:
        return []
    found = replayer.full_state(key).get("details", {}).get("dispatches", [])
    return [(parse_iso_utc(d["at"]), d.get("department")) for d in found]


def _holding(dispatches: list[tuple[datetime, str | None]], at: datetime) -> str | None:
    """The department dispatched last at or before `at` (events sort before alert changes
    of the same instant in the log, so rebuild-rollups attributes it the same way)."""
    held = [department for when, department in dispatches if when <= at]
    return held[-1] if held else None


class _Alerts:
    """The alerts of the history, each as (alert row, changes), finished before `now`."""

    def __init__(self, svc: Services, now: datetime) -> None:
        self.svc, self.now = svc, now
        self.made: list[tuple[dict, list[Change]]] = []

    def for_item(self, state, full: dict) -> list[str]:
        """Alerts for the item's deadlines missed (current cycle); returns its `alerted` keys."""
        budget, cycle, keys = full["budget"], cycle_of(state), []
        closed_at = None if state.is_open else state.updated_at
        summary = {"kind": state.kind, "ref": state.ref, "unit": state.unit, "category": state.category,
                   "priority": state.priority, "title": state.title}
        for stage, deadline in full["deadlines"].items():
            due = parse_iso_utc(deadline["due"])
            met = parse_iso_utc(deadline["met"]) if deadline.get("met") else closed_at
            if due >= self.now or (met is not None and met <= due):
                continue
            row = new_alert(self.svc, subject=f"{state.kind}:{state.ref}", stage=stage, cycle=cycle, item=summary,
                            start_level=budget.get("start_level") or "community",
                            reason=reason_for(state.kind, stage), due_at=due, budget=budget, now=due)
            if self._play(row, met):
                keys.append(stage_key(stage, cycle))
        return keys

    def surges(self, events: list[EventIn], window: timedelta, count: int) -> None:
        """The live rule (dashboard.actions.surge) run over the history: `count` reports of one
        category in one grid within `window` raise a district alert, unless one is active."""
        seen: dict[tuple[str, str], deque] = defaultdict(deque)
        busy_until: dict[str, datetime] = {}
        cycles: dict[str, int] = defaultdict(int)
        budget = {"escalate_after": format_duration(self.svc.policy.escalate_after),
                  "ack_timeout": format_duration(self.svc.policy.ack_timeout)}
        for ev in events:
            if ev.kind != "incident" or ev.type != "reported":
                continue
            times = seen[(ev.unit, ev.category)]
            times.append(ev.occurred_at)
            while times[0] <= ev.occurred_at - window:
                times.popleft()
            subject = f"surge:{ev.unit}:{ev.category}"
            if len(times) < count or busy_until.get(subject, ev.occurred_at) > ev.occurred_at:
                continue
            item = {"kind": "incident", "ref": ev.ref, "unit": ev.unit, "category": ev.category,
                    "priority": ev.priority, "title": ev.title}
            reason = f"surge: {len(times)} {ev.category} incidents within {format_duration(window)}"
            row = new_alert(self.svc, subject=subject, stage="surge", cycle=cycles[subject], item=item,
                            start_level="district", reason=reason, due_at=None, budget=budget, now=ev.occurred_at)
            if self._play(row, None):
                cycles[subject] += 1
                busy_until[subject] = row["resolved_at"]
            else:  # still active now: left to the live rule
                busy_until[subject] = self.now

    def _play(self, row: dict, met: datetime | None) -> bool:
        """Run the alert's clock and its duty officers up to `now`; keep it if it ended before."""
        escalate, rearm = timedelta(seconds=row["escalate_after_s"]), timedelta(seconds=row["ack_timeout_s"])
        level, since, acked = row["level"], row["raised_at"], None
        changes: list[Change] = [("raised", level, since, "system", None)]
        while True:
            key = alert_key(row["subject"], row["stage"], row["cycle"], len(changes))
            if acked is None:
                moves = [(since + ack_delay(key), "acknowledged")]
                moves += [(since + escalate, "escalated")] if level in UP else []
            elif row["stage"] == "surge":
                moves = [(acked + surge_resolve_delay(key), "resolved")]
            else:
                moves = [(acked + rearm, "rearmed")]
            if met is not None:
                moves.append((met, "resolved"))
            at, action = min(moves)
            if at >= self.now:
                return False
            if action == "acknowledged":
                acked = at
                changes.append((action, level, at, officer(self.svc, row["holder"]).name, ack_note(key)))
                row.update(acked_at=at, acked_by=changes[-1][3], ack_note=changes[-1][4])
            elif action == "resolved":
                by, note = (officer(self.svc, row["holder"]).name, SURGE_NOTE) if met is None else ("system", "item progressed")
                changes.append((action, level, at, by, note))
                row.update(resolved_at=at, resolved_by=by, resolve_note=note)
                break
            else:  # escalated, or re-armed one level up after an acknowledgement that did not finish it
                level, since, acked = UP.get(level, level), at, None
                changes.append((action, level, at, "system", None))
                row.update(level=level, holder=holder_unit(self.svc.tree, row["unit"], level), level_since=at)
        row.update(state="resolved", active=False, next_check_at=None, version=len(changes))
        self.made.append((row, changes))
        return True


def _write_log(session: Session, svc: Services, seqs: SeqBlock, events: list[EventIn],
               alerts: list[tuple[dict, list[Change]]], now: datetime) -> dict[tuple[str, str], int]:
    """Events and alert changes merged in time order, numbered by seq as they would have been."""
    scopes = {code: svc.tree.scope(code) for code in svc.tree.nodes}
    changes = sorted(((at, n, i) for i, (_, cs) in enumerate(alerts) for n, (_, _, at, _, _) in enumerate(cs)))
    last_seq: dict[tuple[str, str], int] = {}
    alert_seqs: list[list[int]] = [[] for _ in alerts]
    rows: list[dict] = []
    timeline = heapq.merge(((ev.occurred_at, 0, ev) for ev in events),
                           ((at, 1, (i, n)) for at, n, i in changes), key=lambda t: (t[0], t[1]))
    for at, is_alert, what in timeline:
        seq = seqs.next()
        if is_alert:
            alert_seqs[what[0]].append(seq)
            continue
        ev = what
        last_seq[(ev.kind, ev.ref)] = seq
        rows.append(dict(seq=seq, source=ev.source, source_id=ev.id, kind=ev.kind, type=ev.type, ref=ev.ref,
                         unit=ev.unit, occurred_at=ev.occurred_at, received_at=min(ev.occurred_at + timedelta(seconds=2), now),
                         category=ev.category, priority=ev.priority, title=ev.title, description=ev.description,
                         actor=ev.actor, lat=ev.location.lat if ev.location else None,
                         lon=ev.location.lon if ev.location else None, attributes=ev.attributes, **scopes[ev.unit]))
        if len(rows) >= CHUNK:
            session.execute(insert(Event.__table__), rows)
            rows = []
    if rows:
        session.execute(insert(Event.__table__), rows)
    for (row, _), numbers in zip(alerts, alert_seqs):
        row["last_seq"] = numbers[-1]
    ids = []
    for start in range(0, len(alerts), CHUNK):
        ids += session.execute(insert(Alert.__table__).returning(Alert.__table__.c.id, sort_by_parameter_order=True),
                               [row for row, _ in alerts[start:start + CHUNK]]).scalars().all()
    logs = [dict(alert_id=alert_id, seq=seq, at=at, action=action, from_level=cs[n - 1][1] if n else None,
                 to_level=level, actor=actor, note=note)
            for alert_id, (_, cs), numbers in zip(ids, alerts, alert_seqs)
            for n, ((action, level, at, actor, note), seq) in enumerate(zip(cs, numbers))]
    for start in range(0, len(logs), CHUNK):
        session.execute(insert(AlertLog.__table__), logs[start:start + CHUNK])
    return last_seq


def _write_items(session: Session, svc: Services, replayer: Replayer, alerted: dict, last_seq: dict) -> int:
    rows = []
    for key, (state, _) in replayer.states.items():
        full = replayer.full_state(key)
        full["alerted"] = sorted(alerted[key])
        due = next_due(full["deadlines"], set(alerted[key]), cycle_of(state)) if state.is_open else None
        rows.append(dict(kind=state.kind, ref=state.ref, unit=state.unit, status=state.status, is_open=state.is_open,
                         category=state.category, priority=state.priority, title=state.title,
                         opened_at=state.opened_at, updated_at=state.updated_at, last_seq=last_seq[key],
                         next_due=due, state=full, **svc.tree.scope(state.unit)))
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(Item.__table__), rows[start:start + CHUNK])
    return len(rows)
