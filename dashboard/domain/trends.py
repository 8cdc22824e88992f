"""Trend facts: what one change of an item (or of an alert) adds to the
leaders' rollups, and the arithmetic the trend panels share. Pure: no I/O.

A fact is a key and a vector of counts, at the finest grain there is:
`(table, unit, day, *dims) -> (count, ...)`, where `unit` is the item's own
unit and `day` a calendar day in China time (+08:00). The store expands each
fact to the unit's ancestors and to month buckets (dashboard.store.rollups),
so late and out-of-order events simply add to the bucket they belong to.

| table     | dims after (unit, day)                       | counts              | from                        |
| incident  | category, priority                           | reported, reopened  | opening; each reopen        |
| hour      | hour, category, priority                     | reported, reopened  | (same, by local hour)       |
| stage     | category, priority, stage, budget_s          | n, on_time          | a deadline newly met        |
| latency   | category, priority, stage, bin               | n                   | (same, its duration's bin)  |
| problem   | category, priority, aspect                   | n                   | opening                     |
| mediation | channel, measure                             | n                   | accepted/agreed/failed/...  |
| patrol    | -                                            | reached, late       | checkpoints (state diff)    |
| alert     | category, priority, action, level            | n                   | every alert change          |
| department| department, measure, bin                     | n, on_time          | dispatches, their clocks,   |
|           |   measure: dispatched | arrive | resolve |    |                     |   reopens and escalations   |
|           |   reopened | escalated; bin: latency_bin     |                     |   (domain.departments)      |

Definitions (the panels document the same):
- A stage (acknowledge / arrive / resolve) is measured once per clock, when
  its deadline is first met: duration = met - clock start, on time when
  met <= due. The measurement is dated by the day its clock started.
- A reopened incident starts a new resolve clock (at the reopen; acknowledge
  and arrive are not measured again). Its first resolve stays counted, the
  second is a new measurement, dated by the reopen: two resolves, one
  incident. The reopen itself counts in `reopened` on its own day.
- Stages not met yet are not in the rates (overdue ones show as alerts).
- A department is measured per dispatch, on its own clocks (from the
  dispatch, domain.departments), dated by the dispatch day; a reopen or an
  escalation counts against the department of the dispatch in force then,
  on the day it happened. Dispatches naming no department are not counted.
- Checkpoint coverage follows the item state: a late upload of an earlier
  reach moves the checkpoint to its earlier day (the diff retracts the old).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from dashboard.domain.departments import dispatch_clocks
from dashboard.domain.times import local_day, local_hour, parse_iso_utc

STAGES = ("acknowledge", "arrive", "resolve")
ALL_CATEGORIES = "*"     # the "any category" row of the cube (district and street levels)
ALL_PRIORITIES = 0       # the "any priority" row
NO_CATEGORY = ""         # e.g. a checkpoint alert: no incident category
NO_PRIORITY = -1
MAX_ASPECT = 64

VALUES: dict[str, tuple[str, ...]] = {
    "incident": ("reported", "reopened"),
    "hour": ("reported", "reopened"),
    "stage": ("n", "on_time"),
    "latency": ("n",),
    "problem": ("n",),
    "mediation": ("n",),
    "patrol": ("reached", "late"),
    "alert": ("n",),
    "department": ("n", "on_time"),
}

Key = tuple
Facts = dict[Key, tuple[int, ...]]


class EventLike(Protocol):
    type: str
    occurred_at: datetime
    attributes: dict[str, Any]


# --- days and windows (district time: dashboard.domain.times) ----------------------------


def month_of(day: date) -> date:
    return day.replace(day=1)


def today(now: datetime) -> date:
    return local_day(now)


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class Window:
    """Whole days [start, end] in China time, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"window ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def split(self) -> tuple[list[date], list[tuple[date, date]]]:
        """The whole months inside the window (their first days) and the day ranges
        left over, so a year reads 12 month rows instead of 365 day rows."""
        months: list[date] = []
        first = self.start if self.start.day == 1 else _next_month(self.start)
        cursor = first
        while _next_month(cursor) - timedelta(days=1) <= self.end:
            months.append(cursor)
            cursor = _next_month(cursor)
        if not months:
            return [], [(self.start, self.end)]
        ranges = []
        if self.start < months[0]:
            ranges.append((self.start, months[0] - timedelta(days=1)))
        after = _next_month(months[-1])
        if after <= self.end:
            ranges.append((after, self.end))
        return months, ranges

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


RANGES = ("today", "7d", "30d", "year", "custom")
MAX_DAYS = 1096  # three years: beyond that a panel is an archive job, not a glance


def window_for(name: str, today: date, start: date | None = None, end: date | None = None) -> Window:
    """The days a named range covers, ending today; `custom` takes start and end
    (a missing end is today, a missing start the end)."""
    if name == "today":
        return Window(today, today)
    if name in ("7d", "30d"):
        return Window(today - timedelta(days=int(name[:-1]) - 1), today)
    if name == "year":
        return Window(today.replace(month=1, day=1), today)
    if name != "custom":
        raise ValueError(f"unknown range {name!r}; one of {', '.join(RANGES)}")
    end = end or today
    window = Window(start or end, end)
    if window.days > MAX_DAYS:
        raise ValueError(f"at most {MAX_DAYS} days")
    return window


def grain_for(window: Window) -> str:
    """How finely a time series over `window` is bucketed: hour, day or month."""
    if window.days == 1:
        return "hour"
    return "day" if window.days <= 92 else "month"


# --- durations ---------------------------------------------------------------------------------

# Histogram bins of stage durations: (up to this many minutes, bin width in minutes).
BIN_WIDTHS = ((60, 1), (360, 5), (1440, 15), (20160, 60))
LONG_BIN = 1440  # beyond 14 days: whole days


def latency_bin(seconds: float) -> int:
    """The upper edge (minutes) of the bin holding a duration: 1 min wide up to
    1 h, 5 min up to 6 h, 15 min up to 1 day, 1 h up to 14 days, 1 day beyond.
    0 for a stage met at (or before) its clock's start."""
    if seconds <= 0:
        return 0
    minutes = math.ceil(seconds / 60)
    for limit, width in BIN_WIDTHS:
        if minutes <= limit:
            return math.ceil(minutes / width) * width
    return math.ceil(minutes / LONG_BIN) * LONG_BIN


def percentile(histogram: Iterable[tuple[int, int]], q: float) -> int | None:
    """Nearest-rank percentile of a histogram [(bin upper edge, count)]: the
    upper edge of the bin holding the ceil(q * n)-th smallest value."""
    bins = sorted((b, n) for b, n in histogram if n > 0)
    total = sum(n for _, n in bins)
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for edge, n in bins:
        seen += n
        if seen >= rank:
            return edge
    return bins[-1][0]


# --- facts -------------------------------------------------------------------------------------


def add(facts: Facts, key: Key, values: tuple[int, ...]) -> None:
    old = facts.get(key)
    facts[key] = values if old is None else tuple(a + b for a, b in zip(old, values))


def merge(into: Facts, more: Mapping[Key, tuple[int, ...]]) -> Facts:
    for key, values in more.items():
        add(into, key, values)
    return into


def item_facts(event: EventLike, before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> Facts:
    """What applying `event` (which turned item state `before` into `after`;
    `before` empty for a new item) adds to the rollups. States are the dicts
    kept in `Item.state` (lifecycle state plus `budget` and `deadlines`)."""
    facts: Facts = {}
    before = before or {}
    kind = after["kind"]
    if kind == "incident":
        _incident_facts(facts, event, before, after)
    elif kind == "mediation":
        _mediation_facts(facts, event, before, after)
    elif kind == "patrol":
        for key, values in _diff(_patrol_reach(after), _patrol_reach(before)).items():
            add(facts, key, values)
    return facts


def _dims(state: Mapping[str, Any]) -> tuple[str, int]:
    category = state.get("category") or NO_CATEGORY
    priority = state.get("priority")
    return category, NO_PRIORITY if priority is None else int(priority)


def aspect_of(event: EventLike) -> str:
    """The sub-problem ("aspect") a report names in `attributes.aspect`; "" when none."""
    value = (event.attributes or {}).get("aspect")
    return value.strip()[:MAX_ASPECT] if isinstance(value, str) else ""


def _incident_facts(facts: Facts, event: EventLike, before: Mapping, after: Mapping) -> None:
    unit = after["unit"]
    category, priority = _dims(after)
    if not before:
        opened = parse_iso_utc(after["opened_at"])
        day = local_day(opened)
        add(facts, ("incident", unit, day, category, priority), (1, 0))
        add(facts, ("hour", unit, day, local_hour(opened), category, priority), (1, 0))
        add(facts, ("problem", unit, day, category, priority, aspect_of(event)), (1,))
    if _reopens(after) > _reopens(before):
        at = parse_iso_utc(after["details"]["reopened_at"])
        add(facts, ("incident", unit, local_day(at), category, priority), (0, 1))
        add(facts, ("hour", unit, local_day(at), local_hour(at), category, priority), (0, 1))
    old_deadlines = before.get("deadlines") or {}
    # After a reopen only the resolve clock runs again; acknowledge and arrive were
    # measured in the first cycle (a reopen clears the stages that met them by a skip).
    stages = ("resolve",) if _reopens(after) else STAGES
    for stage, deadline in (after.get("deadlines") or {}).items():
        if stage not in stages or not deadline.get("met") or (old_deadlines.get(stage) or {}).get("met"):
            continue
        due, met = parse_iso_utc(deadline["due"]), parse_iso_utc(deadline["met"])
        budget = int(deadline["budget_s"])
        start = due - timedelta(seconds=budget)
        day = local_day(start)
        add(facts, ("stage", unit, day, category, priority, stage, budget), (1, int(met <= due)))
        add(facts, ("latency", unit, day, category, priority, stage,
                    latency_bin((met - start).total_seconds())), (1,))
    _department_facts(facts, unit, before, after)


def _dispatches(state: Mapping) -> list:
    return list((state.get("details") or {}).get("dispatches") or ())


def _department_facts(facts: Facts, unit: str, before: Mapping, after: Mapping) -> None:
    old, new = _dispatches(before), _dispatches(after)
    budget = after.get("budget") or {}
    for i, dispatch in enumerate(new):
        department = dispatch.get("department")
        if not department:
            continue
        if i >= len(old):
            add(facts, ("department", unit, local_day(parse_iso_utc(dispatch["at"])), department, "dispatched", 0), (1, 0))
        was = dispatch_clocks(old[i], budget) if i < len(old) else {}
        for stage, clock in dispatch_clocks(dispatch, budget).items():
            if not clock["met"] or (was.get(stage) or {}).get("met"):
                continue
            start, met, due = parse_iso_utc(clock["start"]), parse_iso_utc(clock["met"]), parse_iso_utc(clock["due"])
            add(facts, ("department", unit, local_day(start), department, stage,
                        latency_bin((met - start).total_seconds())), (1, int(met <= due)))
    if new and new[-1].get("department") and _reopens(after) > _reopens(before):
        at = parse_iso_utc(after["details"]["reopened_at"])
        add(facts, ("department", unit, local_day(at), new[-1]["department"], "reopened", 0), (1, 0))


def department_of(state: Mapping) -> str | None:
    """The department of the dispatch in force (None: not dispatched, or to no named department)."""
    dispatches = _dispatches(state)
    return dispatches[-1].get("department") if dispatches else None


def escalation_facts(*, unit: str, department: str | None, at: datetime) -> Facts:
    """An alert about an item escalated while `department` held it."""
    return {("department", unit, local_day(at), department, "escalated", 0): (1, 0)} if department else {}


def _reopens(state: Mapping) -> int:
    return int(((state.get("details") or {}).get("reopen_count")) or 0)


def _mediation_facts(facts: Facts, event: EventLike, before: Mapping, after: Mapping) -> None:
    unit, day = after["unit"], local_day(event.occurred_at)
    if not before:
        add(facts, ("mediation", unit, day, after.get("category") or NO_CATEGORY, "accepted"), (1,))
        return
    channel = before.get("category") or NO_CATEGORY
    if event.type in ("agreed", "failed"):
        add(facts, ("mediation", unit, day, channel, event.type), (1,))
    elif event.type == "transferred":
        add(facts, ("mediation", unit, day, channel, f"to:{event.attributes.get('to')}"), (1,))
    elif event.type == "closed" and (after.get("details") or {}).get("outcome") == "withdrawn":
        add(facts, ("mediation", unit, day, channel, "withdrawn"), (1,))


def _patrol_reach(state: Mapping) -> Facts:
    """Checkpoints reached, by (unit reached, day), with how many past due."""
    facts: Facts = {}
    deadlines = state.get("deadlines") or {}
    for cp in (state.get("details") or {}).get("checkpoints", ()):
        if not cp.get("reached_at"):
            continue
        at = parse_iso_utc(cp["reached_at"])
        deadline = deadlines.get(f"checkpoint:{cp['name']}") or {}
        late = int(bool(deadline.get("due")) and at > parse_iso_utc(deadline["due"]))
        add(facts, ("patrol", cp.get("reached_unit") or cp["unit"], local_day(at)), (1, late))
    return facts


def _diff(after: Facts, before: Facts) -> Facts:
    out: Facts = {}
    for key in after.keys() | before.keys():
        a = after.get(key)
        b = before.get(key)
        if a is None:
            delta = tuple(-x for x in b)
        elif b is None:
            delta = a
        else:
            delta = tuple(x - y for x, y in zip(a, b))
        if any(delta):
            out[key] = delta
    return out


def alert_facts(*, unit: str, category: str | None, priority: int | None, action: str, level: str,
                at: datetime) -> Facts:
    """One alert change (raised, escalated, rearmed, acknowledged, resolved) at the level it went to."""
    dims = _dims({"category": category, "priority": priority})
    return {("alert", unit, local_day(at), *dims, action, level): (1,)}
