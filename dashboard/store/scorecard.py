"""The department scorecard (部门考核): per functional department, within a unit's
subtree and a window, how it did on its own clocks (domain.departments).

| column            | meaning                                                              |
| dispatched        | dispatches to the department, dated by the dispatch day              |
| arrive_n, _on_time| its arrive clocks met (from dispatches in the window), on time       |
| arrive_rate       | on time / met                                                        |
| resolve_*         | the same for its resolve clocks                                      |
| overdue_now       | open incidents held by it now whose clock ran out (whatever window)  |
| escalations       | alerts about its incidents escalated a level, in the window          |
| reopened          | its incidents reopened in the window                                 |
| *_p50_min         | median minutes from dispatch to arrival / resolution (bin upper edge)|
| score             | the policy's `scorecard` formula (dashboard.domain.policy.Scorecard) |

Counts come from the `trend_department` rollup (month rows for whole months,
day rows for the rest, or a month's row minus its days outside the window); `overdue_now` from the open items. Rows are ranked by
score (no score last), then by the department list's order
(dashboard.domain.trend_rows.scorecard_rows, shared with
dashboard.store.scorecard_from_events).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.engine import Engine

from dashboard.domain.departments import overdue_stage
from dashboard.domain.policy import Policy
from dashboard.domain.trend_rows import COLUMNS, Panel, TrendQuery, scorecard_rows
from dashboard.domain.unit_tree import UnitTree
from dashboard.store.models import Item
from dashboard.store.rollup_sums import signed_parts, summed
from dashboard.store.rollups import TABLES


def departments_panel(engine: Engine, *, tree: UnitTree, q: TrendQuery, policy: Policy | None = None,
                      now: datetime | None = None) -> Panel:
    t = TABLES["department"]
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    # A window ending today reads this month's month rows minus the days still to come (signed_parts):
    # day rows hold a histogram bin per department and day, several times the month rows (bench/trends.py).
    for period, lo, hi, sign in signed_parts(q.window):
        for key, (n, on_time) in summed(engine, "department", where=[t.c.unit == q.unit], counts=["n", "on_time"],
                                        group=["department", "measure", "bin"], parts=[(period, lo, hi)]).items():
            counts[key][0] += sign * n
            counts[key][1] += sign * on_time
    overdue = overdue_counts(engine, tree=tree, unit=q.unit, now=now)
    return Panel("departments", list(COLUMNS["departments"]), scorecard_rows(counts, overdue, policy))


def overdue_cases(engine: Engine, *, tree: UnitTree, unit: str, now: datetime | None = None) -> list[dict]:
    """Open incidents in `unit`'s subtree whose department's clock has run out, most overdue first:
    {"department", "ref", "title", "stage", "opened_at"}."""
    now = now or datetime.now(timezone.utc)
    scope = getattr(Item, tree.nodes[unit].level)
    stmt = select(Item.ref, Item.title, Item.opened_at, Item.state).where(
        Item.kind == "incident", Item.is_open.is_(True), scope == unit)
    found = []
    with engine.connect() as conn:
        for ref, title, opened_at, state in conn.execute(stmt):
            state = state or {}
            details = state.get("details") or {}
            stage = overdue_stage(details, state.get("budget") or {}, now)
            department = (details.get("dispatches") or [{}])[-1].get("department")
            if stage and department:
                found.append({"department": department, "ref": ref, "title": title, "stage": stage,
                              "opened_at": opened_at})
    return sorted(found, key=lambda c: (c["opened_at"], c["ref"]))


def overdue_counts(engine: Engine, *, tree: UnitTree, unit: str, now: datetime | None = None) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for case in overdue_cases(engine, tree=tree, unit=unit, now=now):
        counts[case["department"]] += 1
    return dict(counts)
