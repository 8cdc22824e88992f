"""The trend panels, answered from the rollups (dashboard.store.rollups).

One function per panel, keyword-only, each returning a `Panel`
(dashboard.domain.trend_rows: the column names and plain rows, the same for
the JSON and CSV API and the Dash figures; names added by `label_rows`).

Every query reads one unit's rows (or its children's), for the whole months
of the window from month rows and the odd days from day rows; in month rows
of the district and streets, the "any category / any priority" rows answer
unfiltered panels. A grid-level unit is answered from its own raw events
(`answer_from_events`: dashboard.store.trends_from_events and
dashboard.store.scorecard_from_events, also the reference the rollups are
checked against).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import Date, bindparam, case, func, select, text
from sqlalchemy.engine import Engine

from dashboard.domain.policy import Policy
from dashboard.domain.trend_rows import (ACTIONS, ALERT_LEVELS, CATEGORY_ORDER, COLUMNS, Panel, TrendQuery,
                                         bucket_label, grid_count, heatmap_rows, latency_rows, mediation_rows,
                                         order_of, patrol_rows, problem_rows, rate, rows_with_own)
from dashboard.domain.trends import ALL_PRIORITIES, STAGES, grain_for
from dashboard.domain.unit_tree import UnitTree
from dashboard.store import scorecard_from_events, trends_from_events
from dashboard.store.rollup_sums import by_level, cube, parts_of, signed_parts, summed
from dashboard.store.rollups import TABLES
from dashboard.store.scorecard import departments_panel


# --- panels ------------------------------------------------------------------------------------------


def units_panel(engine: Engine, *, tree: UnitTree, q: TrendQuery) -> Panel:
    """Incidents reported per sub-unit (the map and the drill)."""
    children = tree.children.get(q.unit, [])
    t = TABLES["incident"]
    totals: dict[str, int] = {}
    for level, codes in by_level(tree, [q.unit, *children]).items():
        found = summed(engine, "incident", where=[t.c.unit.in_(codes)], dims=cube(q, level),
                       group=["unit"], counts=["reported"], parts=parts_of(q.window))
        totals.update({k[0]: v[0] for k, v in found.items()})
    return Panel("units", list(COLUMNS["units"]), rows_with_own(q.unit, children, totals, "reported"))


def volume_panel(engine: Engine, *, tree: UnitTree, q: TrendQuery) -> Panel:
    """Incidents reported (and reopened) over time, by category."""
    grain = grain_for(q.window)
    level = tree.nodes[q.unit].level
    if grain == "hour":
        t = TABLES["hour"]
        found = summed(engine, "hour", where=[t.c.unit == q.unit], dims=cube(q, level, each_category=True),
                       group=["hour", "category"], counts=["reported", "reopened"],
                       parts=parts_of(q.window, months=False))
        keyed = {(f"{q.window.start.isoformat()} {h:02d}:00", c): v for (h, c), v in found.items()}
    else:
        t = TABLES["incident"]
        found = summed(engine, "incident", where=[t.c.unit == q.unit], dims=cube(q, level, each_category=True),
                       group=["bucket", "category"], counts=["reported", "reopened"],
                       parts=parts_of(q.window, months=grain == "month"))
        keyed = defaultdict(lambda: [0, 0])
        for (bucket, c), (reported, reopened) in found.items():
            label = bucket_label(bucket, grain)
            keyed[(label, c)][0] += reported
            keyed[(label, c)][1] += reopened
    rows = [{"bucket": b, "category": c, "reported": v[0], "reopened": v[1]}
            for (b, c), v in sorted(keyed.items(), key=lambda kv: (kv[0][0], order_of(CATEGORY_ORDER, kv[0][1])))
            if v[0] or v[1]]
    return Panel("volume", list(COLUMNS["volume"]), rows, grain)


def ontime_panel(engine: Engine, *, tree: UnitTree, q: TrendQuery) -> Panel:
    """Stages met on time per sub-unit (and the unit's own and total rows)."""
    children = tree.children.get(q.unit, [])
    t = TABLES["stage"]
    totals: dict[tuple[str, str], list[int]] = {}
    for level, codes in by_level(tree, [q.unit, *children]).items():
        totals.update(summed(engine, "stage", where=[t.c.unit.in_(codes)], dims=cube(q, level),
                             group=["unit", "stage"], counts=["n", "on_time"], parts=parts_of(q.window)))
    rows = []
    for stage in STAGES:
        total = totals.get((q.unit, stage), [0, 0])
        sub = [0, 0]
        for child in children:
            n, on_time = totals.get((child, stage), [0, 0])
            sub = [sub[0] + n, sub[1] + on_time]
            if n:
                rows.append({"unit": child, "scope": "sub", "stage": stage, "n": n, "on_time": on_time,
                             "rate": rate(on_time, n)})
        own = [total[0] - sub[0], total[1] - sub[1]]
        if own[0] and children:
            rows.append({"unit": q.unit, "scope": "own", "stage": stage, "n": own[0], "on_time": own[1],
                         "rate": rate(own[1], own[0])})
        if total[0]:
            rows.append({"unit": q.unit, "scope": "total", "stage": stage, "n": total[0], "on_time": total[1],
                         "rate": rate(total[1], total[0])})
    return Panel("ontime", list(COLUMNS["ontime"]), rows)


def latency_panel(engine: Engine, *, tree: UnitTree, q: TrendQuery) -> Panel:
    """p50 / p90 of each stage's duration per priority (and all), against its deadline."""
    level = tree.nodes[q.unit].level
    lt, st = TABLES["latency"], TABLES["stage"]
    hist = summed(engine, "latency", where=[lt.c.unit == q.unit], dims=cube(q, level, each_priority=True),
                  group=["stage", "priority", "bin"], counts=["n"], parts=parts_of(q.window))
    stages = summed(engine, "stage", where=[st.c.unit == q.unit], dims=cube(q, level, each_priority=True),
                    group=["stage", "priority", "budget_s"], counts=["n", "on_time"], parts=parts_of(q.window))
    return Panel("latency", list(COLUMNS["latency"]), latency_rows(hist, stages))


def escalations_panel(engine: Engine, *, tree: UnitTree, q: TrendQuery) -> Panel:
    """Alert changes (raised, escalated, ...) by the level they went to, over time."""
    grain = "day" if grain_for(q.window) == "hour" else grain_for(q.window)
    level = tree.nodes[q.unit].level
    t = TABLES["alert"]
    found = summed(engine, "alert", where=[t.c.unit == q.unit], dims=cube(q, level),
                   group=["bucket", "action", "level"], counts=["n"], parts=parts_of(q.window, months=grain == "month"))
    keyed: dict[tuple, int] = defaultdict(int)
    for (bucket, action, to_level), (n,) in found.items():
        keyed[(bucket_label(bucket, grain), action, to_level)] += n
    rows = [{"bucket": b, "action": a, "level": lv, "n": n}
            for (b, a, lv), n in sorted(keyed.items(), key=lambda kv: (kv[0][0], order_of(ACTIONS, kv[0][1]),
                                                                          order_of(ALERT_LEVELS, kv[0][2])))
            if n]
    return Panel("escalations", list(COLUMNS["escalations"]), rows, grain)


def heatmap_panel(engine: Engine, *, tree: UnitTree, q: TrendQuery) -> Panel:
    """Incidents reported by hour of the week (China time); all 168 cells."""
    level = tree.nodes[q.unit].level
    t = TABLES["hour"]
    found = summed(engine, "hour", where=[t.c.unit == q.unit], dims=cube(q, level),
                   group=["weekday", "hour"], counts=["reported"], parts=parts_of(q.window))
    return Panel("heatmap", list(COLUMNS["heatmap"]), heatmap_rows({k: v[0] for k, v in found.items()}))


def problems_panel(engine: Engine, *, tree: UnitTree, q: TrendQuery) -> Panel:
    """The top recurring (category, aspect) pairs per community: "7 kinds, 25 aspects"."""
    level = tree.nodes[q.unit].level
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    with engine.connect() as conn:
        for period, lo, hi, sign in signed_parts(q.window):
            for place, category, aspect, n in conn.execute(*_problem_sql(conn, level, period, lo, hi, q)):
                counts[(place, category, aspect)] += sign * int(n or 0)
    return Panel("problems", list(COLUMNS["problems"]), problem_rows(counts))


_SCOPES = ("district", "street", "community")


def _problem_sql(conn, level: str, period: str, lo: date, hi: date, q: TrendQuery):
    """A long window's month rows are read in GROUP BY order (no sort), its odd days by bucket.
    SQLite is told which index: it would pick the bucket one for both (text SQL: SQLAlchemy
    has no index hints for SQLite)."""
    if level not in _SCOPES:
        raise ValueError(f"problems are kept per community and above, not per {level}")
    index = f"ix_trend_problem_{level}{'_groups' if period == 'm' else ''}"
    hint = f" INDEXED BY {index}" if conn.dialect.name == "sqlite" else ""
    params: dict = {"unit": q.unit, "period": period, "lo": lo, "hi": hi}
    if q.priorities:
        where_priority = "priority IN ({})".format(", ".join(f":p{i}" for i in range(len(q.priorities))))
        params.update({f"p{i}": p for i, p in enumerate(q.priorities)})
    else:
        where_priority, params["p"] = "priority = :p", ALL_PRIORITIES
    where_category = ""
    if q.categories:
        where_category = " AND category IN ({})".format(", ".join(f":c{i}" for i in range(len(q.categories))))
        params.update({f"c{i}": c for i, c in enumerate(q.categories)})
    sql = (f"SELECT place, category, aspect, SUM(n) FROM trend_problem{hint} WHERE {level} = :unit "
           f"AND period = :period AND {where_priority} AND bucket BETWEEN :lo AND :hi{where_category} "
           "GROUP BY place, category, aspect")
    return text(sql).bindparams(bindparam("lo", type_=Date()), bindparam("hi", type_=Date())), params


def mediation_panel(engine: Engine, *, tree: UnitTree, q: TrendQuery) -> Panel:
    """Mediation outcomes and transfers out, per channel."""
    t = TABLES["mediation"]
    found = summed(engine, "mediation", where=[t.c.unit == q.unit], group=["channel", "measure"], counts=["n"],
                   parts=parts_of(q.window))
    return Panel("mediation", list(COLUMNS["mediation"]), mediation_rows({k: v[0] for k, v in found.items()}))


def patrol_panel(engine: Engine, *, tree: UnitTree, q: TrendQuery) -> Panel:
    """Patrol coverage per day: distinct grids where a checkpoint was reached."""
    level = tree.nodes[q.unit].level
    t = TABLES["patrol"]
    covered = func.sum(case(((t.c.level == "grid") & (t.c.reached > 0), 1), else_=0))
    stmt = (select(t.c.day, func.sum(t.c.reached), func.sum(t.c.late), covered)
            .where(t.c[level] == q.unit, t.c.day.between(q.window.start, q.window.end)).group_by(t.c.day))
    with engine.connect() as conn:
        found = {row[0]: (int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)) for row in conn.execute(stmt)}
    return Panel("patrol", list(COLUMNS["patrol"]), patrol_rows(q.window, found, grid_count(tree, q.unit)))


ANSWERS: dict[str, Callable[..., Panel]] = {
    "units": units_panel, "volume": volume_panel, "ontime": ontime_panel, "latency": latency_panel,
    "escalations": escalations_panel, "heatmap": heatmap_panel, "problems": problems_panel,
    "mediation": mediation_panel, "patrol": patrol_panel,
}


def answer(engine: Engine, name: str, *, tree: UnitTree, q: TrendQuery, policy: Policy | None = None,
           now: datetime | None = None) -> Panel:
    """One panel. Rollups keep nothing below community level but what a community's
    per-grid breakdown needs: a grid's own panels come from its (few) raw events.
    `now` (default: the time) only matters to the scorecard's "overdue now"."""
    if tree.nodes[q.unit].level == "grid":
        return answer_from_events(engine, name, tree=tree, q=q, policy=policy, now=now)
    if name == "departments":
        return departments_panel(engine, tree=tree, q=q, policy=policy, now=now)
    return ANSWERS[name](engine, tree=tree, q=q)


def answer_from_events(engine: Engine, name: str, *, tree: UnitTree, q: TrendQuery, policy: Policy | None = None,
                       now: datetime | None = None) -> Panel:
    """One panel computed from the raw event log alone, without the rollups."""
    if name == "departments":
        return scorecard_from_events.raw_departments(engine, tree=tree, q=q, policy=policy, now=now)
    return trends_from_events.FROM_EVENTS[name](engine, tree=tree, q=q, policy=policy)
