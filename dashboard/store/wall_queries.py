"""A wall's snapshot: everything it shows, read once; it then follows deltas.

The browser keeps every open item of the wall's subtree and derives the live
figures from them (open and overdue counts, worst remaining budget, patrols,
mediations). This module adds what open items cannot tell: today's counters
over items that already closed, the grids patrolled today, and the month's
mediation outcomes (from dashboard.store.patrol_mediation_stats).

Rules shared with assets/wall_model.js (keep the two in step):
- an incident is *new today* when it opened today (district time);
- it is *resolved today* when its first `resolved` (or `closed`) stage of the
  current cycle lies today;
- a stage deadline (acknowledge, arrive, resolve) *counts today* when it was
  met today (on time when met <= due) or, unmet, fell due today before now
  (late); the on-time rate is on time / counted.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from dashboard.domain.times import day_bounds_at, month_start, parse_optional_iso
from dashboard.domain.unit_tree import UnitTree
from dashboard.store.models import Event, Item
from dashboard.store.queries import alerts_in, current_head, items_in, recent_messages
from dashboard.store.serialize import iso
from dashboard.store.patrol_mediation_stats import mediation_summary, patrol_summary

STAGES = ("acknowledge", "arrive", "resolve")
OPEN_ITEM_LIMIT = 20000  # far above any real subtree; the wall says so if it is ever reached
ALERT_LIMIT = 2000


def stage_outcomes(deadlines: dict[str, dict], *, day_start: datetime, day_end: datetime,
                   now: datetime) -> dict[str, str]:
    """stage -> "on_time" | "late" for the stages that count today."""
    out: dict[str, str] = {}
    for stage in STAGES:
        d = deadlines.get(stage)
        if not d:
            continue
        due, met = parse_optional_iso(d["due"]), parse_optional_iso(d.get("met"))
        if met is not None:
            if day_start <= met < day_end:
                out[stage] = "on_time" if met <= due else "late"
        elif day_start <= due <= now and due < day_end:
            out[stage] = "late"
    return out


def resolved_at(state: dict) -> datetime | None:
    stages = state.get("stages") or {}
    return parse_optional_iso(stages.get("resolved") or stages.get("closed"))


def child_finder(tree: UnitTree, unit: str) -> Callable[[str], str]:
    """unit code -> the wall's child it lies under (the wall's own code for
    items of the wall's unit itself, or when the wall has no children)."""
    cache: dict[str, str] = {}

    def child_of(code: str) -> str:
        if code not in cache:
            lineage = tree.lineage(code)
            cache[code] = lineage[lineage.index(unit) - 1] if unit in lineage[1:] else unit
        return cache[code]

    return child_of


def grids_by_child(tree: UnitTree, unit: str) -> dict[str, list[str]]:
    """The grids under each child of `unit` (a town without grids has none):
    patrol coverage is the share of them reached today."""
    return {child: sorted(tree.grids(child)) for child in tree.children.get(unit) or [unit]}


def _empty_ontime() -> dict[str, list[int]]:
    return {stage: [0, 0] for stage in STAGES}


def incidents_today(engine: Engine, *, tree: UnitTree, unit: str, head: int, day_start: datetime,
                    day_end: datetime, now: datetime) -> dict[str, Any]:
    """Today's incident counters, and the on-time outcomes of incidents that
    are no longer open (open ones are scored live by the wall)."""
    scope = getattr(Item, tree.nodes[unit].level)
    child_of = child_finder(tree, unit)
    with Session(engine) as session:
        rows = session.exec(select(Item.kind, Item.ref, Item.unit, Item.is_open, Item.last_seq, Item.state).where(
            scope == unit, Item.kind == "incident", col(Item.updated_at) >= day_start)).all()
    new = resolved = 0
    ontime: dict[str, dict[str, list[int]]] = {}
    resolved_keys: list[str] = []
    closed_after_head: list[dict] = []
    for kind, ref, code, is_open, last_seq, state in rows:
        opened = parse_optional_iso(state.get("opened_at"))
        if opened is not None and day_start <= opened < day_end:
            new += 1
        done = resolved_at(state)
        if done is not None and day_start <= done < day_end and not is_open:
            resolved += 1
            resolved_keys.append(f"{kind}:{ref}")
        if is_open:
            continue
        if last_seq > head:  # closed after the head was read: its older messages must not reopen it
            closed_after_head.append({"key": f"{kind}:{ref}", "seq": last_seq})
        counts = ontime.setdefault(child_of(code), _empty_ontime())
        for stage, outcome in stage_outcomes(state.get("deadlines") or {}, day_start=day_start, day_end=day_end,
                                             now=now).items():
            counts[stage][0 if outcome == "on_time" else 1] += 1
    return {"new": new, "resolved": resolved, "ontime_closed": ontime, "resolved_keys": resolved_keys,
            "closed_after_head": closed_after_head}


def covered_today(engine: Engine, *, tree: UnitTree, unit: str, day_start: datetime, day_end: datetime) -> list[str]:
    """Grids of the subtree where a patrol first reached a checkpoint today (the
    rule of dashboard.store.patrol_mediation_stats; the wall adds to this set live)."""
    scope = getattr(Event, tree.nodes[unit].level)
    candidates = select(Event.ref).distinct().where(
        scope == unit, Event.kind == "patrol", Event.type == "checkpoint",
        col(Event.occurred_at) >= day_start, col(Event.occurred_at) < day_end)
    with Session(engine) as session:
        states = session.exec(select(Item.state).where(Item.kind == "patrol", col(Item.ref).in_(candidates))).all()
    reached = set()
    for state in states:
        for cp in (state or {}).get("details", {}).get("checkpoints", ()):
            at, where = parse_optional_iso(cp.get("reached_at")), cp.get("reached_unit") or cp.get("unit")
            if at and day_start <= at < day_end and where in tree and tree.nodes[where].level == "grid" \
                    and tree.is_within(where, unit):
                reached.add(where)
    return sorted(reached)


def patrol_mediation_stats(engine: Engine, *, tree: UnitTree, unit: str, now: datetime) -> dict[str, Any]:
    """Patrol and mediation aggregates (dashboard.store.patrol_mediation_stats)."""
    day_start, day_end = day_bounds_at(now)
    patrols = patrol_summary(engine, tree=tree, unit=unit, day_start=day_start, day_end=day_end, now=now)
    mediations = mediation_summary(engine, tree=tree, unit=unit, month_start=month_start(now), now=now)
    # The lists repeat what the open items already carry: the wall draws those from its items.
    for key in ("patrols", "overdue_checkpoints"):
        patrols.pop(key, None)
    mediations.pop("open_cases", None)
    return {"patrols": patrols, "mediations": mediations}


def wall_snapshot(engine: Engine, *, tree: UnitTree, unit: str, now: datetime) -> dict[str, Any]:
    """Everything a wall shows. The head is read first: anything newer is
    replayed to the wall, and replayed deltas are idempotent (seq-guarded)."""
    head = current_head(engine)
    day_start, day_end = day_bounds_at(now)
    items = items_in(engine, tree=tree, unit=unit, status="open", limit=OPEN_ITEM_LIMIT)
    return {
        "unit": unit,
        "head": head,
        "server_time": iso(now),
        "day_start": iso(day_start),
        "day_end": iso(day_end),
        "month_start": iso(month_start(now)),
        "items": items,
        "items_truncated": len(items) >= OPEN_ITEM_LIMIT,
        "recent": recent_messages(engine, tree=tree, unit=unit, limit=30),
        "alerts": alerts_in(engine, tree=tree, unit=unit, state="active", limit=ALERT_LIMIT),
        "today": incidents_today(engine, tree=tree, unit=unit, head=head, day_start=day_start, day_end=day_end,
                                 now=now),
        "covered": covered_today(engine, tree=tree, unit=unit, day_start=day_start, day_end=day_end),
        "stats": patrol_mediation_stats(engine, tree=tree, unit=unit, now=now),
    }
