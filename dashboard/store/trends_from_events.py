"""The trend panels computed from the raw event log alone (event, alert_log +
alert, and each item's frozen budget), without the rollups: what one would
write without them. It answers a grid's own panels, which the rollups do not
keep (dashboard.store.trends.answer_from_events), and is the reference the
rollups are checked against (tests/api/test_trend_panels.py,
tests/store/test_rollups_vs_raw.py) and timed against (bench/trends.py).

Counting panels are SQL GROUP BYs over the event log; the stateful ones
(stage times, mediation outcomes, checkpoint coverage) walk each case's
events in seq order, written independently of the lifecycle and clock code.
Same `Panel` shapes and rows as dashboard.store.trends (dashboard.domain.trend_rows).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from sqlalchemy import Integer, and_, cast, extract, func, literal_column, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import aliased

from dashboard.domain.events import MEDIATION_CHANNELS
from dashboard.domain.policy import Policy, parse_duration
from dashboard.domain.times import day_start, local_day, parse_iso
from dashboard.domain.trend_rows import (ACTIONS, ALERT_LEVELS, CATEGORY_ORDER, COLUMNS, Panel, TrendQuery,
                                         grid_count, heatmap_rows, latency_rows, mediation_rows, order_of,
                                         patrol_rows, problem_rows, rate, rows_with_own)
from dashboard.domain.trends import STAGES, Window, grain_for, latency_bin
from dashboard.domain.unit_tree import UnitTree
from dashboard.store.models import Alert, AlertLog, Event, Item

CHUNK = 500


def window_bounds(window: Window) -> tuple[datetime, datetime]:
    """The UTC instants the window's first day starts and the day after its last starts."""
    return day_start(window.start), day_start(window.end + timedelta(days=1))


def _local(conn: Connection, column, what: str):
    """Day / month / hour / ISO weekday of a UTC timestamp column, in China time."""
    if conn.dialect.name == "sqlite":
        fmt = {"day": "%Y-%m-%d", "month": "%Y-%m", "hour": "%H", "weekday": "%w"}[what]
        expr = func.strftime(fmt, column, "+8 hours")
        if what == "hour":
            return cast(expr, Integer)
        if what == "weekday":  # %w: 0 = Sunday
            return (cast(expr, Integer) + 6) % 7 + 1
        return expr
    shifted = column + literal_column("INTERVAL '8 hours'")  # stored as naive UTC
    if what in ("day", "month"):
        return func.to_char(shifted, "YYYY-MM-DD" if what == "day" else "YYYY-MM")
    return cast(extract("hour" if what == "hour" else "isodow", shifted), Integer)


def _incident_filters(e, q: TrendQuery) -> list:
    out = []
    if q.categories:
        out.append(e.category.in_(q.categories))
    if q.priorities:
        out.append(e.priority.in_(q.priorities))
    return out


def scope_is(model, tree: UnitTree, unit: str):
    """The condition "the row lies in `unit`'s subtree" (its scope column of the unit's level)."""
    return getattr(model, tree.nodes[unit].level) == unit


def _reported(tree: UnitTree, q: TrendQuery) -> list:
    lo, hi = window_bounds(q.window)
    return [Event.kind == "incident", Event.type == "reported", scope_is(Event, tree, q.unit),
            Event.occurred_at >= lo, Event.occurred_at < hi, *_incident_filters(Event, q)]


def raw_units(engine: Engine, *, tree: UnitTree, q: TrendQuery, policy: Policy | None = None) -> Panel:
    children = tree.children.get(q.unit, [])
    totals: dict[str, int] = defaultdict(int)
    with engine.connect() as conn:
        if children:
            child_col = getattr(Event, tree.nodes[children[0]].level)
            for code, n in conn.execute(select(child_col, func.count()).where(*_reported(tree, q)).group_by(child_col)):
                totals[code or q.unit] += n
                if code:
                    totals[q.unit] += n
        else:
            totals[q.unit] = conn.execute(select(func.count()).where(*_reported(tree, q))).scalar_one()
    return Panel("units", list(COLUMNS["units"]), rows_with_own(q.unit, children, totals, "reported"))


def raw_volume(engine: Engine, *, tree: UnitTree, q: TrendQuery, policy: Policy | None = None) -> Panel:
    grain = grain_for(q.window)
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    lo, hi = window_bounds(q.window)
    r = aliased(Event)
    with engine.connect() as conn:
        what = {"hour": "hour", "day": "day", "month": "month"}[grain]
        b = _local(conn, Event.occurred_at, what)
        for bucket, category, n in conn.execute(select(b, Event.category, func.count())
                                                .where(*_reported(tree, q)).group_by(b, Event.category)):
            counts[(_label(bucket, grain, q.window), category)][0] += n
        reopened = (select(b, r.category, func.count())
                    .join(r, and_(r.kind == "incident", r.type == "reported", r.ref == Event.ref))
                    .where(Event.kind == "incident", Event.type == "reopened", scope_is(Event, tree, q.unit),
                           Event.occurred_at >= lo, Event.occurred_at < hi, *_incident_filters(r, q))
                    .group_by(b, r.category))
        for bucket, category, n in conn.execute(reopened):
            counts[(_label(bucket, grain, q.window), category)][1] += n
    rows = [{"bucket": k[0], "category": k[1], "reported": v[0], "reopened": v[1]}
            for k, v in sorted(counts.items(), key=lambda kv: (kv[0][0], order_of(CATEGORY_ORDER, kv[0][1])))]
    return Panel("volume", list(COLUMNS["volume"]), rows, grain)


def _label(bucket, grain: str, window: Window) -> str:
    if grain == "hour":
        return f"{window.start.isoformat()} {int(bucket):02d}:00"
    return str(bucket)


def raw_heatmap(engine: Engine, *, tree: UnitTree, q: TrendQuery, policy: Policy | None = None) -> Panel:
    with engine.connect() as conn:
        d, h = _local(conn, Event.occurred_at, "weekday"), _local(conn, Event.occurred_at, "hour")
        cells = {(int(wd), int(hr)): n for wd, hr, n in
                 conn.execute(select(d, h, func.count()).where(*_reported(tree, q)).group_by(d, h))}
    return Panel("heatmap", list(COLUMNS["heatmap"]), heatmap_rows(cells))


def raw_escalations(engine: Engine, *, tree: UnitTree, q: TrendQuery, policy: Policy | None = None) -> Panel:
    grain = "day" if grain_for(q.window) == "hour" else grain_for(q.window)
    lo, hi = window_bounds(q.window)
    with engine.connect() as conn:
        b = _local(conn, AlertLog.at, grain)
        stmt = (select(b, AlertLog.action, AlertLog.to_level, func.count())
                .join(Alert, Alert.id == AlertLog.alert_id)
                .where(scope_is(Alert, tree, q.unit), AlertLog.at >= lo, AlertLog.at < hi, *_incident_filters(Alert, q))
                .group_by(b, AlertLog.action, AlertLog.to_level))
        found = {(str(bucket), action, level): n for bucket, action, level, n in conn.execute(stmt)}
    rows = [{"bucket": k[0], "action": k[1], "level": k[2], "n": n}
            for k, n in sorted(found.items(), key=lambda kv: (kv[0][0], order_of(ACTIONS, kv[0][1]),
                                                                 order_of(ALERT_LEVELS, kv[0][2])))]
    return Panel("escalations", list(COLUMNS["escalations"]), rows, grain)


def raw_problem_counts(engine: Engine, *, tree: UnitTree, q: TrendQuery) -> dict[tuple[str, str, str], int]:
    place = func.coalesce(Event.community, Event.street, Event.district)
    aspect = Event.attributes["aspect"].as_string()
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    with engine.connect() as conn:
        stmt = select(place, Event.category, aspect, func.count()).where(*_reported(tree, q)).group_by(
            place, Event.category, aspect)
        for code, category, value, n in conn.execute(stmt):
            counts[(code, category, value.strip()[:64] if isinstance(value, str) else "")] += n
    return dict(counts)


def raw_problems(engine: Engine, *, tree: UnitTree, q: TrendQuery, policy: Policy | None = None) -> Panel:
    return Panel("problems", list(COLUMNS["problems"]), problem_rows(raw_problem_counts(engine, tree=tree, q=q)))


# --- walking cases -------------------------------------------------------------------------------


def _refs(conn: Connection, kind: str, types: Iterable[str] | None, tree: UnitTree, q: TrendQuery) -> list[str]:
    lo, hi = window_bounds(q.window)
    where = [Event.kind == kind, scope_is(Event, tree, q.unit), Event.occurred_at >= lo, Event.occurred_at < hi]
    if types is not None:
        where.append(Event.type.in_(tuple(types)))
    return list(conn.execute(select(Event.ref).where(*where).distinct()).scalars())


def _cases(conn: Connection, kind: str, refs: list[str]):
    """(ref, [event rows in seq order], frozen budget) for each ref."""
    for start in range(0, len(refs), CHUNK):
        chunk = refs[start:start + CHUNK]
        events: dict[str, list] = defaultdict(list)
        for row in conn.execute(select(Event.ref, Event.type, Event.occurred_at, Event.unit, Event.category,
                                       Event.priority, Event.attributes)
                                .where(Event.kind == kind, Event.ref.in_(chunk)).order_by(Event.seq)):
            events[row.ref].append(row)
        budgets = {ref: (state or {}).get("budget") or {} for ref, state in
                   conn.execute(select(Item.ref, Item.state).where(Item.kind == kind, Item.ref.in_(chunk)))}
        for ref in chunk:
            if events.get(ref):
                yield ref, events[ref], budgets.get(ref, {})


def _seconds(budget: dict, key: str, policy: Policy | None, fallback=None) -> int | None:
    text = budget.get(key, fallback)
    return int(parse_duration(text).total_seconds()) if text else None


_MEETS = {"acknowledge": ("acknowledged", "arrived", "resolved", "closed"),
          "arrive": ("arrived", "resolved", "closed"), "resolve": ("resolved", "closed")}


def incident_measurements(events: list, budget: dict) -> list[tuple[str, datetime, datetime, int]]:
    """(stage, clock start, met, budget seconds) of one incident, in the order met:
    acknowledge and arrive once, resolve once per cycle (a reopen starts the next)."""
    opened = utc(events[0].occurred_at)
    limits = {s: _seconds(budget, s, None) for s in STAGES}
    met: dict[str, bool] = {}
    start = opened
    out = []
    for ev in events[1:]:
        at = utc(ev.occurred_at)
        if ev.type == "reopened":
            start, met["resolve"] = at, False
            continue
        for stage in STAGES:
            if ev.type in _MEETS[stage] and not met.get(stage) and limits[stage]:
                out.append((stage, opened if stage != "resolve" else start, at, limits[stage]))
            if ev.type in _MEETS[stage]:
                met[stage] = True
    return out


def utc(at: datetime) -> datetime:
    """A stored time as aware UTC (SQLite gives it back naive)."""
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at


def _stage_counts(engine: Engine, tree: UnitTree, q: TrendQuery):
    """{(unit, stage, category, priority, budget_s, bin, on_time): n} of the measurements in the window."""
    counts: dict[tuple, int] = defaultdict(int)
    cats, prios = set(q.categories), set(q.priorities)
    with engine.connect() as conn:
        refs = _refs(conn, "incident", ("reported", "reopened"), tree, q)
        for _ref, events, budget in _cases(conn, "incident", refs):
            first = events[0]
            if (cats and first.category not in cats) or (prios and first.priority not in prios):
                continue
            for stage, start, met, limit in incident_measurements(events, budget):
                if not q.window.start <= local_day(start) <= q.window.end:
                    continue
                due = start + timedelta(seconds=limit)
                key = (first.unit, stage, first.category, first.priority, limit,
                       latency_bin((met - start).total_seconds()), met <= due)
                counts[key] += 1
    return counts


def raw_ontime(engine: Engine, *, tree: UnitTree, q: TrendQuery, policy: Policy | None = None) -> Panel:
    children = tree.children.get(q.unit, [])
    per: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for (unit, stage, _c, _p, _b, _bin, on_time), n in _stage_counts(engine, tree, q).items():
        lineage = tree.lineage(unit)
        owner = next((c for c in children if c in lineage), q.unit)
        per[(owner, stage)][0] += n
        per[(owner, stage)][1] += n if on_time else 0
    rows = []
    for stage in STAGES:
        total = [sum(v[0] for (u, s), v in per.items() if s == stage),
                 sum(v[1] for (u, s), v in per.items() if s == stage)]
        for child in children:
            n, on = per.get((child, stage), [0, 0])
            if n:
                rows.append({"unit": child, "scope": "sub", "stage": stage, "n": n, "on_time": on, "rate": rate(on, n)})
        n, on = per.get((q.unit, stage), [0, 0])
        if n and children:
            rows.append({"unit": q.unit, "scope": "own", "stage": stage, "n": n, "on_time": on, "rate": rate(on, n)})
        if total[0]:
            rows.append({"unit": q.unit, "scope": "total", "stage": stage, "n": total[0], "on_time": total[1],
                         "rate": rate(total[1], total[0])})
    return Panel("ontime", list(COLUMNS["ontime"]), rows)


def raw_latency(engine: Engine, *, tree: UnitTree, q: TrendQuery, policy: Policy | None = None) -> Panel:
    hist: dict[tuple, list[int]] = defaultdict(lambda: [0])
    stages: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for (_u, stage, _c, priority, limit, bin_, on_time), n in _stage_counts(engine, tree, q).items():
        hist[(stage, priority, bin_)][0] += n
        stages[(stage, priority, limit)][0] += n
        stages[(stage, priority, limit)][1] += n if on_time else 0
    return Panel("latency", list(COLUMNS["latency"]), latency_rows(hist, stages))


def raw_mediation(engine: Engine, *, tree: UnitTree, q: TrendQuery, policy: Policy | None = None) -> Panel:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    with engine.connect() as conn:
        refs = _refs(conn, "mediation", None, tree, q)
        for _ref, events, _budget in _cases(conn, "mediation", refs):
            for day, channel, measure in mediation_outcomes(events):
                if q.window.start <= day <= q.window.end:
                    counts[(channel, measure)] += 1
    return Panel("mediation", list(COLUMNS["mediation"]), mediation_rows(counts))


def mediation_outcomes(events: list) -> list[tuple]:
    """(day, channel, measure) for each accepted / agreed / failed / transfer / withdrawal of one case."""
    channel, status, out = None, None, []
    for ev in events:
        day = local_day(utc(ev.occurred_at))
        if ev.type == "accepted":
            channel, status = ev.category, "accepted"
            out.append((day, channel, "accepted"))
        elif ev.type == "session":
            status = "in_mediation"
        elif ev.type in ("agreed", "failed"):
            out.append((day, channel, ev.type))
            status = ev.type
        elif ev.type == "transferred":
            target = (ev.attributes or {}).get("to")
            out.append((day, channel, f"to:{target}"))
            channel, status = (target, "in_mediation") if target in MEDIATION_CHANNELS else (channel, "transferred")
        elif ev.type == "closed":
            if status in ("accepted", "in_mediation"):
                out.append((day, channel, "withdrawn"))
            status = "closed"
    return out


def raw_patrol(engine: Engine, *, tree: UnitTree, q: TrendQuery, policy: Policy | None = None) -> Panel:
    reached: dict = defaultdict(int)
    late: dict = defaultdict(int)
    covered: dict = defaultdict(set)
    fallback = None
    if policy is not None:
        from dashboard.domain.policy import format_duration

        fallback = format_duration(policy.checkpoint_grace)
    with engine.connect() as conn:
        refs = _refs(conn, "patrol", ("checkpoint",), tree, q)
        for _ref, events, budget in _cases(conn, "patrol", refs):
            grace = timedelta(seconds=_seconds(budget, "checkpoint_grace", policy, fallback or "15m"))
            for name, (at, unit, due) in earliest_checkpoints(events).items():
                day = local_day(at)
                if not (q.window.start <= day <= q.window.end) or unit not in tree.nodes \
                        or not tree.is_within(unit, q.unit):
                    continue
                reached[day] += 1
                late[day] += int(at > due + grace)
                if tree.nodes[unit].level == "grid":
                    covered[day].add(unit)
    found = {d: (reached[d], late[d], len(covered[d])) for d in reached}
    return Panel("patrol", list(COLUMNS["patrol"]), patrol_rows(q.window, found, grid_count(tree, q.unit)))


def earliest_checkpoints(events: list) -> dict[str, tuple[datetime, str, datetime]]:
    """name -> (earliest time reached, unit where, planned time) of one patrol."""
    planned: dict[str, datetime] = {}
    out: dict[str, tuple[datetime, str, datetime]] = {}
    for ev in events:
        if ev.type == "started":
            for cp in (ev.attributes or {}).get("checkpoints", []):
                planned[cp["name"]] = parse_iso(cp["due_at"])
        elif ev.type == "checkpoint":
            name, at = (ev.attributes or {}).get("checkpoint"), utc(ev.occurred_at)
            if name in planned and (name not in out or at < out[name][0]):
                out[name] = (at, ev.unit, planned[name])
    return out


# Every panel but the scorecard (dashboard.store.scorecard_from_events); both are
# chosen by dashboard.store.trends.answer_from_events.
FROM_EVENTS = {"units": raw_units, "volume": raw_volume, "ontime": raw_ontime, "latency": raw_latency,
               "escalations": raw_escalations, "heatmap": raw_heatmap, "problems": raw_problems,
               "mediation": raw_mediation, "patrol": raw_patrol}
