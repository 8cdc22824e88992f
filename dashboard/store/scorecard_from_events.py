"""The department scorecard computed from the raw event log alone (event, alert_log + alert, each
incident's frozen budget): the reference the `trend_department` rollup is
checked against (tests/api/test_scorecard.py) and timed against (bench/trends.py), and the
answer for a grid (dashboard.store.trends.answer_from_events).

Each dispatched incident's events and its alerts' escalations are walked in
seq order, written independently of the lifecycle and the department clocks.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from dashboard.domain.policy import Policy, parse_duration
from dashboard.domain.times import local_day
from dashboard.domain.trend_rows import COLUMNS, Panel, TrendQuery, scorecard_rows
from dashboard.domain.trends import latency_bin
from dashboard.domain.unit_tree import UnitTree
from dashboard.store.models import Alert, AlertLog, Event, Item
from dashboard.store.scorecard import overdue_counts
from dashboard.store.trends_from_events import CHUNK, scope_is, utc, window_bounds

_MEETS = {"arrived": ("arrive",), "resolved": ("arrive", "resolve"), "closed": ("arrive", "resolve")}


def raw_departments(engine: Engine, *, tree: UnitTree, q: TrendQuery, policy: Policy | None = None,
                    now: datetime | None = None) -> Panel:
    counts: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0])
    with engine.connect() as conn:
        _, end = window_bounds(q.window)
        refs = list(conn.execute(select(Event.ref).where(
            Event.kind == "incident", Event.type == "dispatched", scope_is(Event, tree, q.unit),
            Event.occurred_at < end).distinct()).scalars())
        for start in range(0, len(refs), CHUNK):
            for steps, budget in _walks(conn, refs[start:start + CHUNK]):
                _count(steps, budget, q, counts)
    overdue = overdue_counts(engine, tree=tree, unit=q.unit, now=now)
    return Panel("departments", list(COLUMNS["departments"]), scorecard_rows(counts, overdue, policy))


def _walks(conn: Connection, refs: list[str]):
    """Per ref: its events and its alerts' escalations as (seq, type, at, department), in seq order."""
    steps: dict[str, list[tuple]] = defaultdict(list)
    for ref, seq, type_, at, attributes in conn.execute(
            select(Event.ref, Event.seq, Event.type, Event.occurred_at, Event.attributes)
            .where(Event.kind == "incident", Event.ref.in_(refs))):
        steps[ref].append((seq, type_, utc(at), (attributes or {}).get("department")))
    for ref, seq, at in conn.execute(
            select(Alert.ref, AlertLog.seq, AlertLog.at).join(Alert, Alert.id == AlertLog.alert_id)
            .where(Alert.kind == "incident", Alert.ref.in_(refs), AlertLog.action == "escalated")):
        steps[ref].append((seq, "escalated", utc(at), None))
    budgets = {ref: (state or {}).get("budget") or {} for ref, state in
               conn.execute(select(Item.ref, Item.state).where(Item.kind == "incident", Item.ref.in_(refs)))}
    for ref, found in steps.items():
        yield sorted(found), budgets.get(ref, {})


def _count(steps: list[tuple], budget: dict, q: TrendQuery, counts: dict) -> None:
    limits = {s: int(parse_duration(budget[s]).total_seconds()) for s in ("arrive", "resolve") if budget.get(s)}
    inside = lambda at: q.window.start <= local_day(at) <= q.window.end  # noqa: E731
    department, since, met = None, None, set()
    for _seq, type_, at, named in steps:
        if type_ == "dispatched":
            department, since, met = named, at, set()
            if department and inside(at):
                counts[(department, "dispatched", 0)][0] += 1
        elif type_ in _MEETS and department:
            for stage in _MEETS[type_]:
                if stage in met or stage not in limits:
                    continue
                met.add(stage)
                if inside(since):
                    key = (department, stage, latency_bin((at - since).total_seconds()))
                    counts[key][0] += 1
                    counts[key][1] += int(at <= since + timedelta(seconds=limits[stage]))
        elif type_ in ("reopened", "escalated") and department and inside(at):
            counts[(department, type_, 0)][0] += 1
