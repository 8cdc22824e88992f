"""Sums of rollup rows over a window (dashboard.store.rollups): which period's
rows cover which days, the category / priority conditions of the "any" rows,
and SUM ... GROUP BY over them. Shared by the trend panels
(dashboard.store.trends) and the department scorecard (dashboard.store.scorecard).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from dashboard.domain.trend_rows import TrendQuery
from dashboard.domain.trends import ALL_CATEGORIES, ALL_PRIORITIES, Window
from dashboard.domain.unit_tree import UnitTree
from dashboard.store.rollups import TABLES, has_any_rows

Part = tuple[str, date, date]  # (period, first bucket, last bucket)


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
