"""Patrol and mediation panels of a wall: what a unit's subtree looks like now.

Keyword-only queries, each returning plain JSON-able dicts (times as RFC 3339
UTC strings, like the rest of the read API).

Where the numbers come from:
- current state (active patrols, next and overdue checkpoints, open mediations,
  days open, deadlines, paths) from the open `item` rows of one kind in the
  wall's subtree (indexes ix_item_open_street / ix_item_open_community /
  ix_item_kind_open);
- what happened within a time window (grids covered today, outcomes and
  transfers this month) from the few `event` rows of that kind and type in the
  window (index ix_event_kind_type_occurred), then the items or events of just
  those refs: never a pass over the whole log.
Measured on a generated year (bench/gen_year.py: 1,000,000 events, SQLite,
both indexes): a district's patrols about 20 ms and mediations about 100 ms, a
street's and a community's under 50 ms each.

Rules (DOMAIN "Patrols", "Mediations"):
- A grid is covered on a day when a patrol reached one of its checkpoints in it
  within [day_start, day_end): the checkpoint's `reached_at` / `reached_unit`
  in the patrol's state (the first time it was reached; a repeat does not move
  it). A patrol crossing midnight covers grids on the day each checkpoint was
  reached. Any patrol counts, wherever it started; only grid-level units are
  grids.
- A patrol belongs to a wall when its own unit (where it started) lies in the
  wall's subtree, like every item. In `by_child` it is active in each child its
  own unit or one of its planned checkpoints lies in (a route through two grids
  counts in both).
- A checkpoint is overdue when its patrol is active, it has not been reached
  and its planned time plus the frozen `checkpoint_grace` has passed (the same
  deadline the sweep raises the alert for).
- Mediation outcomes count per attempt: every `agreed` / `failed` event in the
  month is one; a case failed in one channel and agreed in the next counts one
  of each. A transfer counts in the month of its `transferred` event, from the
  channel the case was in then.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from dashboard.domain.events import MEDIATION_CHANNELS
from dashboard.domain.times import parse_iso_utc
from dashboard.domain.unit_tree import UnitTree
from dashboard.store.models import Event, Item
from dashboard.store.serialize import iso

CHANNELS = tuple(MEDIATION_CHANNELS)
DAY = timedelta(days=1)
_CHUNK = 400


# --- patrols -----------------------------------------------------------------

def patrol_summary(engine: Engine, *, tree: UnitTree, unit: str, day_start: datetime, day_end: datetime,
                   now: datetime | None = None, limit: int = 500) -> dict[str, Any]:
    """Active patrols, coverage of the day and overdue checkpoints of `unit`'s subtree.

    {"active", "grids", "covered", "anomalies_awaiting_report",
     "by_child": {child: {"grids", "covered", "active", "overdue_checkpoints"}},
     "overdue_checkpoints": [{ref, team, checkpoint, unit, due_at, deadline}],
     "patrols": [{ref, team, team_kind, unit, title, opened_at, reached, planned,
                  last_position: {lat, lon} | None,
                  next_checkpoint: {name, unit, due_at, deadline} | None,
                  anomalies: [{incident_ref, at, unit, reported}]}]}
    `due_at` is the planned time, `deadline` that time plus the grace (overdue after it).
    An anomaly is `reported` once its incident exists (dashboard.actions.patrols);
    `anomalies_awaiting_report` counts those of active patrols that are not yet.
    `now` (default: the current time) decides what is overdue; `limit` caps the patrol list only.
    """
    _aware(day_start, day_end)
    now = now or datetime.now(timezone.utc)
    children = _child_grids(tree, unit)
    with Session(engine) as session:
        active = _active_patrols(session, tree, unit)
        reached = _reached_units(session, tree, unit, day_start, day_end)
        incidents = _existing_incidents(session, [a.get("incident_ref") for _, _, state in active
                                                  for a in (state.get("details") or {}).get("anomalies") or ()])
    grids = set(tree.grids(unit))
    covered = reached & grids
    by_child = {c: {"grids": len(g), "covered": len(g & covered), "active": 0, "overdue_checkpoints": 0}
                for c, g in children.items()}
    overdue: list[dict[str, Any]] = []
    patrols: list[dict[str, Any]] = []
    for ref, own_unit, state in active:
        details = state.get("details") or {}
        late = _overdue_checkpoints(ref, details, state.get("deadlines") or {}, now)
        _count_by_child(by_child, tree, unit, own_unit, details, late)
        overdue.extend(late)
        patrols.append(_patrol_row(ref, own_unit, state, details, incidents))
    patrols.sort(key=lambda p: (p["next_checkpoint"] is None,
                                (p["next_checkpoint"] or {}).get("due_at") or "", p["ref"]))
    overdue.sort(key=lambda o: (o["deadline"], o["ref"], o["checkpoint"]))
    awaiting = sum(not a["reported"] for p in patrols for a in p["anomalies"])
    return {"active": len(active), "grids": len(grids), "covered": len(covered), "anomalies_awaiting_report": awaiting,
            "by_child": by_child, "overdue_checkpoints": overdue, "patrols": patrols[:limit]}


def _count_by_child(by_child: dict[str, dict[str, int]], tree: UnitTree, unit: str, own_unit: str, details: dict,
                    late: list[dict[str, Any]]) -> None:
    """An active patrol counts in each child its own unit or a planned checkpoint lies in;
    an overdue checkpoint in the child of its planned unit (else of the patrol's unit)."""
    planned = details.get("checkpoints") or []
    for child in {_child_of(tree, unit, u) for u in (own_unit, *(cp["unit"] for cp in planned))}:
        if child in by_child:
            by_child[child]["active"] += 1
    for cp in late:
        child = _child_of(tree, unit, cp["unit"]) or _child_of(tree, unit, own_unit)
        if child in by_child:
            by_child[child]["overdue_checkpoints"] += 1


def _active_patrols(session: Session, tree: UnitTree, unit: str) -> list[tuple[str, str, dict]]:
    scope = _scope(Item, tree, unit)
    rows = session.execute(select(Item.ref, Item.unit, Item.state).where(
        col(Item.is_open).is_(True), scope == unit, Item.kind == "patrol")).all()
    return [(ref, own, dict(state or {})) for ref, own, state in rows]


def _reached_units(session: Session, tree: UnitTree, unit: str, day_start: datetime,
                   day_end: datetime) -> set[str]:
    """Units of `unit`'s subtree where a checkpoint was first reached within the day.

    The day's checkpoint events in the subtree name the candidate patrols (the
    event that set a checkpoint's reached_at has that time and reached_unit);
    their states decide, so a repeat does not count twice or move a day."""
    scope = _scope(Event, tree, unit)
    candidates = (select(Event.ref).where(
        Event.kind == "patrol", Event.type == "checkpoint", scope == unit,
        col(Event.occurred_at) >= day_start, col(Event.occurred_at) < day_end).distinct())
    states = session.execute(select(Item.state).where(
        Item.kind == "patrol", col(Item.ref).in_(candidates))).scalars().all()
    reached: set[str] = set()
    for state in states:
        for cp in (state or {}).get("details", {}).get("checkpoints", ()):
            at = cp.get("reached_at")
            where = cp.get("reached_unit") or cp.get("unit")
            if at and day_start <= parse_iso_utc(at) < day_end and where in tree and tree.is_within(where, unit):
                reached.add(where)
    return reached


def _existing_incidents(session: Session, refs: list[str | None]) -> set[str]:
    wanted = sorted({r for r in refs if r})
    found: set[str] = set()
    for chunk in _chunks(wanted):
        found.update(session.execute(select(Item.ref).where(Item.kind == "incident", col(Item.ref).in_(chunk)))
                     .scalars().all())
    return found


def _overdue_checkpoints(ref: str, details: dict, deadlines: dict, now: datetime) -> list[dict[str, Any]]:
    out = []
    for cp in details.get("checkpoints") or ():
        deadline = deadlines.get(f"checkpoint:{cp['name']}")
        if cp.get("reached_at") or deadline is None or deadline.get("met"):
            continue
        if parse_iso_utc(deadline["due"]) <= now:
            out.append({"ref": ref, "team": details.get("team"), "checkpoint": cp["name"], "unit": cp["unit"],
                        "due_at": iso(parse_iso_utc(cp["due_at"])), "deadline": iso(parse_iso_utc(deadline["due"]))})
    return out


def _patrol_row(ref: str, own_unit: str, state: dict, details: dict, incidents: set[str]) -> dict[str, Any]:
    checkpoints = details.get("checkpoints") or []
    upcoming = next((cp for cp in checkpoints if not cp.get("reached_at")), None)
    nxt = None
    if upcoming is not None:
        deadline = (state.get("deadlines") or {}).get(f"checkpoint:{upcoming['name']}") or {}
        nxt = {"name": upcoming["name"], "unit": upcoming["unit"], "due_at": iso(parse_iso_utc(upcoming["due_at"])),
               "deadline": iso(parse_iso_utc(deadline["due"])) if deadline.get("due") else None}
    where = details.get("last_position")
    return {"ref": ref, "team": details.get("team"), "team_kind": details.get("team_kind"), "unit": own_unit,
            "title": state.get("title"), "opened_at": iso(parse_iso_utc(state["opened_at"])) if state.get("opened_at") else None,
            "reached": sum(1 for cp in checkpoints if cp.get("reached_at")), "planned": len(checkpoints),
            "last_position": {"lat": where["lat"], "lon": where["lon"]} if where else None,
            "next_checkpoint": nxt,
            "anomalies": [{"incident_ref": a.get("incident_ref"), "at": iso(parse_iso_utc(a["at"])) if a.get("at") else None,
                           "unit": a.get("unit"), "reported": a.get("incident_ref") in incidents}
                          for a in details.get("anomalies") or ()]}


# --- mediations ----------------------------------------------------------------

def mediation_summary(engine: Engine, *, tree: UnitTree, unit: str, month_start: datetime, now: datetime,
                      limit: int = 500) -> dict[str, Any]:
    """Open cases by channel, overdue cases, and the month's outcomes and transfers.

    {"open_by_channel": {people, administrative, judicial}, "open": int, "overdue": int,
     "success_rate_month": agreed / (agreed + failed) | None, "agreed_month", "failed_month",
     "transfers_month": [{"from", "to", "count"}],
     "open_cases": [{ref, channel, unit, status, title, opened_at, days_open, due_at, overdue, path}]}
    A case transferred out of mediation (litigation, police, petition) stays open until
    closed and is counted under its last channel. The month is [month_start, now].
    """
    _aware(month_start, now)
    with Session(engine) as session:
        cases = _open_mediations(session, tree, unit)
        outcomes = _outcomes(session, tree, unit, month_start, now)
        transfers = _transfers(session, tree, unit, month_start, now)
    by_channel = dict.fromkeys(CHANNELS, 0)
    rows = []
    for ref, own_unit, channel, status, title, opened_at, state in cases:
        by_channel[channel] = by_channel.get(channel, 0) + 1
        resolve = (state.get("deadlines") or {}).get("resolve") or {}
        due = parse_iso_utc(resolve["due"]) if resolve.get("due") else None
        rows.append({"ref": ref, "channel": channel, "unit": own_unit, "status": status, "title": title,
                     "opened_at": iso(opened_at), "days_open": max(0, (now - opened_at) // DAY),
                     "due_at": iso(due), "overdue": bool(due is not None and not resolve.get("met") and due <= now),
                     "path": list((state.get("details") or {}).get("path") or [channel])})
    rows.sort(key=lambda r: (r["due_at"] is None, r["due_at"] or "", r["ref"]))
    agreed, failed = outcomes.get("agreed", 0), outcomes.get("failed", 0)
    return {"open_by_channel": by_channel, "open": len(rows), "overdue": sum(r["overdue"] for r in rows),
            "success_rate_month": agreed / (agreed + failed) if agreed + failed else None,
            "agreed_month": agreed, "failed_month": failed,
            "transfers_month": [{"from": a, "to": b, "count": n}
                                for (a, b), n in sorted(transfers.items(), key=lambda kv: (-kv[1], kv[0]))],
            "open_cases": rows[:limit]}


def _open_mediations(session: Session, tree: UnitTree, unit: str) -> list[tuple]:
    """(ref, unit, channel, status, title, opened_at, {"deadlines": {"resolve"}, "details": {"path"}}):
    only the two parts of the state needed, extracted by the database (a district has thousands)."""
    scope = _scope(Item, tree, unit)
    rows = session.execute(select(Item.ref, Item.unit, Item.category, Item.status, Item.title, Item.opened_at,
                                  Item.state[("deadlines", "resolve")], Item.state[("details", "path")])
                           .where(col(Item.is_open).is_(True), scope == unit, Item.kind == "mediation")).all()
    return [(*row[:6], {"deadlines": {"resolve": row[6]}, "details": {"path": row[7]}}) for row in rows]


def _outcomes(session: Session, tree: UnitTree, unit: str, since: datetime, until: datetime) -> dict[str, int]:
    scope = _scope(Event, tree, unit)
    rows = session.execute(select(Event.type, func.count()).where(
        Event.kind == "mediation", col(Event.type).in_(("agreed", "failed")), scope == unit,
        col(Event.occurred_at) >= since, col(Event.occurred_at) <= until).group_by(Event.type)).all()
    return {kind: int(n) for kind, n in rows}


def _transfers(session: Session, tree: UnitTree, unit: str, since: datetime, until: datetime) -> Counter:
    """(from, to) -> transfers in the window. `from` is the channel the case was in:
    its accepted channel, or the last channel it was transferred to before."""
    scope = _scope(Event, tree, unit)
    in_window = session.execute(select(Event.ref, Event.seq).where(
        Event.kind == "mediation", Event.type == "transferred", scope == unit,
        col(Event.occurred_at) >= since, col(Event.occurred_at) <= until)).all()
    counted = {seq for _, seq in in_window}
    out: Counter = Counter()
    for refs in _chunks(sorted({ref for ref, _ in in_window})):
        # By (kind, ref) only: a case has a handful of events, and the index on it is the tight one.
        history = session.execute(select(Event.ref, Event.seq, Event.type, Event.category, Event.attributes).where(
            Event.kind == "mediation", col(Event.ref).in_(refs)).order_by(Event.seq)).all()
        channel: dict[str, str | None] = {}
        for ref, seq, kind, category, attributes in history:
            if kind not in ("accepted", "transferred"):
                continue
            if kind == "accepted":
                channel[ref] = category
                continue
            target = (attributes or {}).get("to")
            if seq in counted:
                out[(channel.get(ref), target)] += 1
            if target in MEDIATION_CHANNELS:
                channel[ref] = target
    return out


# --- helpers -------------------------------------------------------------------

def _scope(model, tree: UnitTree, unit: str):
    if unit not in tree:
        raise KeyError(f"unknown unit {unit!r}")
    return getattr(model, tree.nodes[unit].level)


def _child_grids(tree: UnitTree, unit: str) -> dict[str, set[str]]:
    """Each direct child of `unit` (in display order) with the grids of its subtree."""
    return {c: set(tree.grids(c)) for c in tree.children.get(unit, [])}


def _child_of(tree: UnitTree, unit: str, code: str | None) -> str | None:
    """The direct child of `unit` whose subtree holds `code` (None for `unit` itself or outside)."""
    if code is None or code not in tree:
        return None
    lineage = tree.lineage(code)
    if unit not in lineage:
        return None
    i = lineage.index(unit)
    return lineage[i - 1] if i > 0 else None


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _aware(*values: datetime) -> None:
    if any(v.tzinfo is None or v.utcoffset() is None for v in values):
        raise ValueError("times must carry a UTC offset")
