"""The district's functional departments (职能部门) and their own clocks. Pure data and
arithmetic, no I/O.

A street dispatches an incident to a department (`dispatched` with
`attributes.department`); from that moment the department is held to the
item's arrive and resolve budgets, counted from the dispatch, not from the
report (a street that dispatches late must not cost the department). The
lifecycle keeps each dispatch in `details.dispatches`:
`{"department", "at", "arrived", "resolved"}`; `department_clocks` turns the
latest one into deadlines. After a reopen the incident may be dispatched
again (to the same or another department): a new entry, new clocks.

The default list (a Chongqing district's 区级职能部门) is seeded into the
`department` table like the unit tree, and configurable the same way: edit the
table; codes are what sources send.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from dashboard.domain.policy import parse_duration
from dashboard.domain.times import parse_iso_utc

DEPARTMENT_STAGES = ("arrive", "resolve")
# Which incident event types meet a department's stage (a skip meets what it skips).
MEETS = {"arrived": ("arrive",), "resolved": ("arrive", "resolve"), "closed": ("arrive", "resolve")}
_MET_KEY = {"arrive": "arrived", "resolve": "resolved"}


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str       # Chinese short name, as staff say it
    name_en: str


DEFAULT_DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec("urban_management", "城管", "City Management"),
    DepartmentSpec("housing_construction", "住建", "Housing and Construction"),
    DepartmentSpec("public_security", "公安", "Public Security"),
    DepartmentSpec("market_regulation", "市场监管", "Market Regulation"),
    DepartmentSpec("ecology_environment", "生态环境", "Ecology and Environment"),
    DepartmentSpec("planning_resources", "规划自然资源", "Planning and Natural Resources"),
    DepartmentSpec("civil_affairs", "民政", "Civil Affairs"),
    DepartmentSpec("justice", "司法", "Justice"),
    DepartmentSpec("petition", "信访", "Letters and Visits"),
    DepartmentSpec("emergency_management", "应急管理", "Emergency Management"),
    DepartmentSpec("transport", "交通", "Transport"),
    DepartmentSpec("water_resources", "水利", "Water Resources"),
    DepartmentSpec("health", "卫生健康", "Health"),
    DepartmentSpec("human_resources", "人力社保", "Human Resources and Social Security"),
    DepartmentSpec("education", "教育", "Education"),
    DepartmentSpec("agriculture_rural", "农业农村", "Agriculture and Rural Affairs"),
    DepartmentSpec("fire_rescue", "消防救援", "Fire and Rescue"),
)

# Who normally takes an incident of each category (the simulator's choice; a
# centre may dispatch anyone on the list).
USUAL_DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "property_fee": ("housing_construction",),
    "illegal_construction": ("urban_management", "planning_resources"),
    "garage_digging": ("housing_construction", "urban_management"),
    "green_space": ("urban_management",),
    "property_service": ("housing_construction", "market_regulation"),
    "neighbourhood_dispute": ("justice", "civil_affairs"),
    "public_order": ("public_security",),
    "sanitation": ("urban_management", "ecology_environment"),
    "parking": ("public_security", "urban_management"),
    "collective_petition": ("petition",),
    "safety_hazard": ("emergency_management", "fire_rescue", "housing_construction"),
    "patrol_finding": ("urban_management", "public_security"),
}


def default_departments() -> list[DepartmentSpec]:
    return list(DEFAULT_DEPARTMENTS)


def usual_department(category: str | None, ref: str) -> str:
    """A department for an incident of `category`, spread over the usual ones by the ref
    (deterministic, no random state: the simulator's draws stay as they were)."""
    choices = USUAL_DEPARTMENTS.get(category or "", ("urban_management",))
    return choices[sum(ref.encode()) % len(choices)]


def check_department(value: Any, known: Iterable[str]) -> str | None:
    """Why `attributes.department` is unacceptable, or None when it names a known department."""
    codes = list(known)
    if not isinstance(value, str) or value not in codes:
        return (f"unknown department {value!r}; expected one of {', '.join(codes)} "
                "(see GET /api/v1/departments)")
    return None


# --- the lifecycle's record of dispatches --------------------------------------------------


def record_dispatch(details: dict[str, Any], department: str | None, at: str) -> None:
    details.setdefault("dispatches", []).append(
        {"department": department, "at": at, "arrived": None, "resolved": None})


def record_progress(details: dict[str, Any], event_type: str, at: str) -> None:
    """An arrived / resolved / closed event meets the latest dispatch's open stages."""
    dispatches = details.get("dispatches") or []
    if not dispatches:
        return
    latest = dispatches[-1]
    for stage in MEETS.get(event_type, ()):
        latest[_MET_KEY[stage]] = latest[_MET_KEY[stage]] or at


# --- clocks ------------------------------------------------------------------------------------


def dispatch_clocks(dispatch: Mapping[str, Any], budget: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """stage -> {"start", "due", "met", "budget_s"} of one dispatch (stages without a budget left out)."""
    start = parse_iso_utc(dispatch["at"])
    out = {}
    for stage in DEPARTMENT_STAGES:
        if not budget.get(stage):
            continue
        length = parse_duration(budget[stage])
        out[stage] = {"start": dispatch["at"], "due": (start + length).isoformat(),
                      "met": dispatch.get(_MET_KEY[stage]), "budget_s": int(length.total_seconds())}
    return out


def department_clocks(details: Mapping[str, Any], budget: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every dispatch of an incident with its department's clocks, oldest first."""
    return [{"department": d.get("department"), "at": d["at"], "clocks": dispatch_clocks(d, budget)}
            for d in details.get("dispatches") or ()]


def overdue_stage(details: Mapping[str, Any], budget: Mapping[str, Any], now: datetime) -> str | None:
    """The latest dispatch's first stage past due and unmet at `now`, if any."""
    dispatches = details.get("dispatches") or ()
    if not dispatches:
        return None
    for stage, clock in dispatch_clocks(dispatches[-1], budget).items():
        if clock["met"] is None and parse_iso_utc(clock["due"]) <= now:
            return stage
    return None


def late_by(clock: Mapping[str, Any], now: datetime) -> timedelta:
    """How far a clock is (or was, when met) past its deadline; negative: time to spare."""
    end = parse_iso_utc(clock["met"]) if clock.get("met") else now
    return end - parse_iso_utc(clock["due"])
