"""The trend panels' rows, shaped from counts: pure (no I/O), shared by the
answers from the rollups (dashboard.store.trends, dashboard.store.scorecard)
and the answers computed from the event log (dashboard.store.trends_from_events,
dashboard.store.scorecard_from_events), so both give the same shapes.

A `Panel` is the column names and plain rows (codes, numbers, ISO dates), the
same for the JSON and CSV API and the Dash figures; `label_rows` adds names.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from dashboard.domain.departments import DEFAULT_DEPARTMENTS
from dashboard.domain.events import INCIDENT_CATEGORIES, MEDIATION_CHANNELS
from dashboard.domain.policy import Policy, Scorecard
from dashboard.domain.trends import STAGES, Window, percentile
from dashboard.domain.unit_tree import UnitTree

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


# --- rows ----------------------------------------------------------------------------------------------


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@lru_cache(maxsize=4096)
def bucket_label(bucket: date, grain: str) -> str:
    """'2026-03' for a month, else the ISO day (of the month bucket when grain is month)."""
    return f"{bucket.year:04d}-{bucket.month:02d}" if grain == "month" else bucket.isoformat()


def order_of(values: tuple, value) -> tuple:
    """A sort key: `value`'s place in `values`, unknown values after them by name."""
    return (values.index(value), "") if value in values else (len(values), str(value))


CATEGORY_ORDER = tuple(INCIDENT_CATEGORIES)
CHANNEL_ORDER = tuple(MEDIATION_CHANNELS)


def rows_with_own(unit: str, children: list[str], totals: dict[str, int], column: str) -> list[dict]:
    """One row per child, and the unit's own (what is not in any child) when there is some or no child."""
    rows = [{"unit": c, "scope": "sub", column: totals.get(c, 0)} for c in children]
    own = totals.get(unit, 0) - sum(totals.get(c, 0) for c in children)
    if own or not children:
        rows.append({"unit": unit, "scope": "own", column: own})
    return rows


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


def heatmap_rows(cells: dict[tuple[int, int], int]) -> list[dict]:
    return [{"weekday": d, "hour": h, "reported": cells.get((d, h), 0)} for d in range(1, 8) for h in range(24)]


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
        ranked = sorted(pairs, key=lambda p: (-p[2], order_of(CATEGORY_ORDER, p[0]), p[1]))[:top]
        for rank, (category, aspect, n) in enumerate(ranked, start=1):
            rows.append({"place": place, "total": total, "kinds": kinds, "aspects": aspects, "rank": rank,
                         "category": category, "aspect": aspect, "n": n})
    return rows


def mediation_rows(counts: dict[tuple[str, str], int]) -> list[dict]:
    def order(key):
        channel, measure = key
        return (order_of(CHANNEL_ORDER, channel), order_of(OUTCOMES, measure))
    return [{"channel": c, "measure": m, "n": n} for (c, m), n in sorted(counts.items(), key=lambda kv: order(kv[0]))
            if n]


def grid_count(tree: UnitTree, unit: str) -> int:
    return len(tree.grids(unit))


def patrol_rows(window: Window, found: dict[date, tuple[int, int, int]], total: int) -> list[dict]:
    rows = []
    for day in window.each_day():
        reached, late, covered = found.get(day, (0, 0, 0))
        rows.append({"day": day.isoformat(), "covered_grids": covered, "total_grids": total,
                     "coverage": rate(covered, total), "checkpoints": reached, "late_checkpoints": late})
    return rows


# --- names ----------------------------------------------------------------------------------------

_NAMED = {"unit": "unit_name", "place": "place_name", "category": "category_name", "channel": "channel_name",
          "department": "department_name"}


def label_rows(panel: Panel, tree: UnitTree, lang: str,
               departments: dict | None = None) -> tuple[list[str], list[dict]]:
    """Columns and rows with a `<code>_name` column after each unit / category / channel /
    department code (`departments`: code -> DepartmentSpec; default: the bundled list)."""
    zh = lang == "zh"
    if departments is None:
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


# --- the department scorecard --------------------------------------------------------------------

Counts = Mapping[tuple[str, str, int], list[int]]   # (department, measure, bin) -> [n, on_time]


def scorecard_rows(counts: Counts, overdue: Mapping[str, int], policy: Policy | None,
                   order: tuple[str, ...] | None = None) -> list[dict]:
    """The departments panel's rows from rollup (or event log) counts; shared by both answers."""
    card = policy.scorecard if policy is not None else Scorecard()
    per: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for (department, measure, bin_), (n, on_time) in counts.items():
        if n:
            per[department][measure].append((bin_, n, on_time))
    rows = []
    for department in set(per) | {d for d, n in overdue.items() if n}:
        m = per.get(department, {})
        total = {k: sum(n for _, n, _ in m.get(k, ())) for k in ("dispatched", "arrive", "resolve",
                                                                  "escalated", "reopened")}
        on_time = {k: sum(o for _, _, o in m.get(k, ())) for k in ("arrive", "resolve")}
        row = {"department": department, "dispatched": total["dispatched"],
               "arrive_n": total["arrive"], "arrive_on_time": on_time["arrive"],
               "arrive_rate": rate(on_time["arrive"], total["arrive"]),
               "resolve_n": total["resolve"], "resolve_on_time": on_time["resolve"],
               "resolve_rate": rate(on_time["resolve"], total["resolve"]),
               "overdue_now": overdue.get(department, 0), "escalations": total["escalated"],
               "reopened": total["reopened"],
               "arrive_p50_min": percentile([(b, n) for b, n, _ in m.get("arrive", ())], 0.5),
               "resolve_p50_min": percentile([(b, n) for b, n, _ in m.get("resolve", ())], 0.5)}
        row["score"] = card.score(dispatched=row["dispatched"], arrive_rate=row["arrive_rate"],
                                  resolve_rate=row["resolve_rate"], escalations=row["escalations"],
                                  reopened=row["reopened"])
        rows.append(row)
    rank = _department_order(order)
    return sorted(rows, key=lambda r: (r["score"] is None, -(r["score"] or 0), rank(r["department"])))


def _department_order(order: tuple[str, ...] | None):
    codes = order or tuple(d.code for d in DEFAULT_DEPARTMENTS)
    return lambda code: (codes.index(code), "") if code in codes else (len(codes), code)
