"""The trend panels, answered from the rollups (dashboard.store.rollups).

One function per panel, keyword-only, each returning a `Panel`: the column
names and plain rows (codes, numbers, ISO dates), the same for the JSON and
CSV API and the Dash figures. Names for codes are added by `label_rows`.

Every query reads one unit's rows (or its children's), for the whole months
of the window from month rows and the odd days from day rows; in month rows
of the district and streets, the "any category / any priority" rows answer
unfiltered panels. A grid-level unit is answered from its own raw events.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import Date, bindparam, case, func, select, text
from sqlalchemy.engine import Engine

from dashboard.domain.events import INCIDENT_CATEGORIES, MEDIATION_CHANNELS
from dashboard.domain.trends import (ALL_CATEGORIES, ALL_PRIORITIES, STAGES, Window, grain_for,
                                     percentile)
from dashboard.domain.unit_tree import UnitTree
from dashboard.store.rollups import TABLES, has_any_rows

ACTIONS = ("raised", "escalated", "rearmed", "acknowledged", "resolved")
ALERT_LEVELS = ("community", "street", "district")
OUTCOMES = ("accepted", "agreed", "failed", "withdrawn")
TOP_PROBLEMS = 5

# Panel -> its columns (codes only; label_rows adds the names).
COLUMNS: dict[str, tuple[str, ...]] = {
    "units": ("unit", "scope", "reported"),
    "volume": ("bucket", "category", "reported", "reopened"),
    "ontime": ("unit", "scope", "stage", "n", "on_time", "rate"),
    "latency": ("stage", "priority", "n", "on_time", "rate", "p50_min", "p90_min", "deadline_min"),
    "escalations": ("bucket", "action", "level", "n"),
    "heatmap": ("weekday", "hour", "reported"),
    "problems": ("place", "total", "kinds", "aspects", "rank", "category", "aspect", "n"),
    "mediation": ("channel", "measure", "n"),
    "patrol": ("day", "covered_grids", "total_grids", "coverage", "checkpoints", "late_checkpoints"),
    # the department scorecard (dashboard.store.scorecard)
    "departments": ("department", "dispatched", "arrive_n", "arrive_on_time", "arrive_rate", "resolve_n",
                    "resolve_on_time", "resolve_rate", "overdue_now", "escalations", "reopened",
                    "arrive_p50_min", "resolve_p50_min", "score"),
}
PANELS = tuple(COLUMNS)
# Panels the category / priority filters apply to (mediations, patrols and departments have neither).
FILTERED = frozenset(PANELS) - {"mediation", "patrol", "departments"}


@dataclass(frozen=True)
class TrendQuery:
    unit: str
    window: Window
    categories: tuple[str, ...] = ()
    priorities: tuple[int, ...] = ()


@dataclass
class Panel:
    name: str
    columns: list[str]
    rows: list[dict] = field(default_factory=list)
    grain: str | None = None


# --- shared query pieces ---------------------------------------------------------------------------

Part = tuple[str, date, date]


def parts_of(window: Window, *, months: bool = True) -> list[Part]:
    """The (period, first bucket, last bucket) ranges that cover the window."""
    if not months:
        return [("d", window.start, window.end)]
    whole, ranges = window.split()
    parts: list[Part] = [("m", whole[0], whole[-1])] if whole else []
    return parts + [("d", a, b) for a, b in ranges]


def dim_filter(column, chosen: Iterable, any_value, *, cube: bool, each: bool) -> list:
    """Rows to read for one cube dimension: the chosen values; else, where the
    level has "any" rows, that row (a total) or every other row (a breakdown)."""
    chosen = tuple(chosen)
    if chosen:
        return [column.in_(chosen)]
    if not cube:
        return []
    return [column != any_value] if each else [column == any_value]


def cube(q: TrendQuery, level: str, *, each_category: bool = False, each_priority: bool = False):
    """The category / priority conditions for rows of one level, per period."""
    def where(table, period: str) -> list:
        any_rows = has_any_rows(level, period)
        return (dim_filter(table.c.category, q.categories, ALL_CATEGORIES, cube=any_rows, each=each_category)
                + dim_filter(table.c.priority, q.priorities, ALL_PRIORITIES, cube=any_rows, each=each_priority))
    return where


def summed(engine: Engine, name: str, *, where: list, group: list[str], counts: list[str],
           parts: list[Part], dims: Callable | None = None,
           index: dict[str, str] | None = None) -> dict[tuple, list[int]]:
    """SUM(counts) GROUP BY group over the parts of a window, merged; `dims`
    (from `cube`) adds the category / priority conditions of each period;
    `index` names the SQLite index to read per period."""
    t = TABLES[name]
    out: dict[tuple, list[int]] = {}
    with engine.connect() as conn:
        for period, lo, hi in parts:
            extra = dims(t, period) if dims else []
            stmt = (select(*[t.c[g] for g in group], *[func.sum(t.c[c]) for c in counts])
                    .where(t.c.period == period, t.c.bucket.between(lo, hi), *where, *extra)
                    .group_by(*[t.c[g] for g in group]))
            if index and period in index:
                stmt = stmt.with_hint(t, f"INDEXED BY {index[period]}", "sqlite")
            for row in conn.execute(stmt):
                key, values = tuple(row[:len(group)]), row[len(group):]
                current = out.setdefault(key, [0] * len(counts))
                for i, v in enumerate(values):
                    current[i] += int(v or 0)
    return out


def by_level(tree: UnitTree, codes: Iterable[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for code in codes:
        groups[tree.nodes[code].level].append(code)
    return groups


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@lru_cache(maxsize=4096)
def bucket_label(bucket: date, grain: str) -> str:
    """'2026-03' for a month, else the ISO day (of the month bucket when grain is month)."""
    return f"{bucket.year:04d}-{bucket.month:02d}" if grain == "month" else bucket.isoformat()


def _order(values: tuple, value) -> tuple:
    return (values.index(value), "") if value in values else (len(values), str(value))


CATEGORY_ORDER = tuple(INCIDENT_CATEGORIES)
CHANNEL_ORDER = tuple(MEDIATION_CHANNELS)


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
    return Panel("units", list(COLUMNS["units"]), _with_own(q.unit, children, totals, "reported"))


def _with_own(unit: str, children: list[str], totals: dict[str, int], column: str) -> list[dict]:
    rows = [{"unit": c, "scope": "sub", column: totals.get(c, 0)} for c in children]
    own = totals.get(unit, 0) - sum(totals.get(c, 0) for c in children)
    if own or not children:
        rows.append({"unit": unit, "scope": "own", column: own})
    return rows


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
            for (b, c), v in sorted(keyed.items(), key=lambda kv: (kv[0][0], _order(CATEGORY_ORDER, kv[0][1])))
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


def latency_rows(hist: dict[tuple, list[int]], stages: dict[tuple, list[int]]) -> list[dict]:
    """Rows of the latency panel from histogram counts {(stage, priority, bin): [n]} and
    stage counts {(stage, priority, budget_s): [n, on_time]} (shared with the raw answer)."""
    rows = []
    for stage in STAGES:
        priorities = sorted({p for s, p, _ in stages if s == stage})
        all_bins: dict[int, int] = defaultdict(int)
        all_n = all_on = 0
        for priority in priorities:
            bins = {b: v[0] for (s, p, b), v in hist.items() if s == stage and p == priority}
            budgets = {b: v for (s, p, b), v in stages.items() if s == stage and p == priority}
            n = sum(v[0] for v in budgets.values())
            on_time = sum(v[1] for v in budgets.values())
            if not n:
                continue
            deadline = min(budgets, key=lambda b: (-budgets[b][0], b))
            rows.append(_latency_row(stage, str(priority), n, on_time, bins, deadline))
            for b, c in bins.items():
                all_bins[b] += c
            all_n, all_on = all_n + n, all_on + on_time
        if all_n:
            rows.append(_latency_row(stage, "all", all_n, all_on, all_bins, None))
    return rows


def _latency_row(stage: str, priority: str, n: int, on_time: int, bins: dict[int, int],
                 deadline_s: int | None) -> dict:
    minutes = None if deadline_s is None else (deadline_s // 60 if deadline_s % 60 == 0 else round(deadline_s / 60, 2))
    return {"stage": stage, "priority": priority, "n": n, "on_time": on_time, "rate": rate(on_time, n),
            "p50_min": percentile(bins.items(), 0.5), "p90_min": percentile(bins.items(), 0.9),
            "deadline_min": minutes}


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
            for (b, a, lv), n in sorted(keyed.items(), key=lambda kv: (kv[0][0], _order(ACTIONS, kv[0][1]),
                                                                          _order(ALERT_LEVELS, kv[0][2])))
            if n]
    return Panel("escalations", list(COLUMNS["escalations"]), rows, grain)


def heatmap_panel(engine: Engine, *, tree: UnitTree, q: TrendQuery) -> Panel:
    """Incidents reported by hour of the week (China time); all 168 cells."""
    level = tree.nodes[q.unit].level
    t = TABLES["hour"]
    found = summed(engine, "hour", where=[t.c.unit == q.unit], dims=cube(q, level),
                   group=["weekday", "hour"], counts=["reported"], parts=parts_of(q.window))
    return Panel("heatmap", list(COLUMNS["heatmap"]), heatmap_rows({k: v[0] for k, v in found.items()}))


def heatmap_rows(cells: dict[tuple[int, int], int]) -> list[dict]:
    return [{"weekday": d, "hour": h, "reported": cells.get((d, h), 0)} for d in range(1, 8) for h in range(24)]


def problems_panel(engine: Engine, *, tree: UnitTree, q: TrendQuery) -> Panel:
    """The top recurring (category, aspect) pairs per community: "7 kinds, 25 aspects"."""
    level = tree.nodes[q.unit].level
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    with engine.connect() as conn:
        for period, lo, hi, sign in signed_parts(q.window):
            for place, category, aspect, n in conn.execute(*_problem_sql(conn, level, period, lo, hi, q)):
                counts[(place, category, aspect)] += sign * int(n or 0)
    return Panel("problems", list(COLUMNS["problems"]), problem_rows(counts))


def signed_parts(window: Window) -> list[tuple[str, date, date, int]]:
    """parts_of with a sign: a day range inside one month that covers most of it is read as
    the month's rows minus the days outside it (a month row is the sum of its day rows).
    A window ending today thus reads this month's row and the empty days still to come,
    not every day so far. Only for panels that do not group by bucket."""
    out: list[tuple[str, date, date, int]] = []
    for period, lo, hi in parts_of(window):
        first = lo.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        if period == "d" and hi <= last and (lo - first).days + (last - hi).days < (hi - lo).days + 1:
            out.append(("m", first, first, 1))
            if lo > first:
                out.append(("d", first, lo - timedelta(days=1), -1))
            if hi < last:
                out.append(("d", hi + timedelta(days=1), last, -1))
        else:
            out.append((period, lo, hi, 1))
    return _merge_months(out)


def _merge_months(parts: list[tuple[str, date, date, int]]) -> list[tuple[str, date, date, int]]:
    """One read for adjacent month ranges: a month read walks every month row of the unit
    in group order whatever its range, so two reads cost twice."""
    months = sorted((lo, hi) for period, lo, hi, sign in parts if period == "m")
    if len(months) < 2:
        return parts
    index = lambda d: d.year * 12 + d.month  # noqa: E731
    if sum(index(hi) - index(lo) + 1 for lo, hi in months) != index(months[-1][1]) - index(months[0][0]) + 1:
        return parts  # not one run of months
    return [("m", months[0][0], months[-1][1], 1)] + [p for p in parts if p[0] != "m"]


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


def problem_rows(counts: dict[tuple[str, str, str], int], top: int = TOP_PROBLEMS) -> list[dict]:
    """{(place, category, aspect): n} -> per place (busiest first) its top pairs."""
    per_place: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for (place, category, aspect), n in counts.items():
        if n:
            per_place[place].append((category, aspect, n))
    rows = []
    for place, pairs in sorted(per_place.items(), key=lambda kv: (-sum(p[2] for p in kv[1]), kv[0])):
        total = sum(n for _, _, n in pairs)
        kinds = len({c for c, _, _ in pairs})
        aspects = len({(c, a) for c, a, _ in pairs if a})
        ranked = sorted(pairs, key=lambda p: (-p[2], _order(CATEGORY_ORDER, p[0]), p[1]))[:top]
        for rank, (category, aspect, n) in enumerate(ranked, start=1):
            rows.append({"place": place, "total": total, "kinds": kinds, "aspects": aspects, "rank": rank,
                         "category": category, "aspect": aspect, "n": n})
    return rows


def mediation_panel(engine: Engine, *, tree: UnitTree, q: TrendQuery) -> Panel:
    """Mediation outcomes and transfers out, per channel."""
    t = TABLES["mediation"]
    found = summed(engine, "mediation", where=[t.c.unit == q.unit], group=["channel", "measure"], counts=["n"],
                   parts=parts_of(q.window))
    return Panel("mediation", list(COLUMNS["mediation"]), mediation_rows({k: v[0] for k, v in found.items()}))


def mediation_rows(counts: dict[tuple[str, str], int]) -> list[dict]:
    def order(key):
        channel, measure = key
        return (_order(CHANNEL_ORDER, channel), _order(OUTCOMES, measure))
    return [{"channel": c, "measure": m, "n": n} for (c, m), n in sorted(counts.items(), key=lambda kv: order(kv[0]))
            if n]


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


def grid_count(tree: UnitTree, unit: str) -> int:
    return len(tree.grids(unit))


def patrol_rows(window: Window, found: dict[date, tuple[int, int, int]], total: int) -> list[dict]:
    rows = []
    for day in window.each_day():
        reached, late, covered = found.get(day, (0, 0, 0))
        rows.append({"day": day.isoformat(), "covered_grids": covered, "total_grids": total,
                     "coverage": rate(covered, total), "checkpoints": reached, "late_checkpoints": late})
    return rows


ANSWERS: dict[str, Callable[..., Panel]] = {
    "units": units_panel, "volume": volume_panel, "ontime": ontime_panel, "latency": latency_panel,
    "escalations": escalations_panel, "heatmap": heatmap_panel, "problems": problems_panel,
    "mediation": mediation_panel, "patrol": patrol_panel,
}


def answer(engine: Engine, name: str, *, tree: UnitTree, q: TrendQuery, policy=None, now=None) -> Panel:
    """One panel. Rollups keep nothing below community level but what a community's
    per-grid breakdown needs: a grid's own panels come from its (few) raw events.
    `now` (default: the time) only matters to the scorecard's "overdue now"."""
    if tree.nodes[q.unit].level == "grid":
        from dashboard.store.trends_raw import raw_answer

        return raw_answer(engine, name, tree=tree, q=q, policy=policy, now=now)
    if name == "departments":
        from dashboard.store.scorecard import departments_panel

        return departments_panel(engine, tree=tree, q=q, policy=policy, now=now)
    return ANSWERS[name](engine, tree=tree, q=q)


# --- names ----------------------------------------------------------------------------------------

_NAMED = {"unit": "unit_name", "place": "place_name", "category": "category_name", "channel": "channel_name",
          "department": "department_name"}


def label_rows(panel: Panel, tree: UnitTree, lang: str,
               departments: dict | None = None) -> tuple[list[str], list[dict]]:
    """Columns and rows with a `<code>_name` column after each unit / category / channel /
    department code (`departments`: code -> DepartmentSpec; default: the bundled list)."""
    zh = lang == "zh"
    if departments is None:
        from dashboard.domain.departments import DEFAULT_DEPARTMENTS

        departments = {d.code: d for d in DEFAULT_DEPARTMENTS}
    names = {k: (v[0] if zh else v[1]) for k, v in {**INCIDENT_CATEGORIES, **MEDIATION_CHANNELS}.items()}
    names.update({code: (d.name if zh else d.name_en) for code, d in departments.items()})

    def unit_name(code: str) -> str:
        node = tree.nodes.get(code)
        return (node.name if zh else node.name_en) if node else code

    columns: list[str] = []
    for column in panel.columns:
        columns.append(column)
        if column in _NAMED:
            columns.append(_NAMED[column])
    rows = []
    for row in panel.rows:
        out = {}
        for column in panel.columns:
            out[column] = row.get(column)
            if column in ("unit", "place"):
                out[_NAMED[column]] = unit_name(row[column])
            elif column in ("category", "channel", "department"):
                out[_NAMED[column]] = names.get(row[column], row[column])
        rows.append(out)
    return columns, rows
