"""Response-time clocks: the deadlines of an open item, from a frozen budget.

Pure. The budget is frozen into the item when it opens (`freeze_budget`), so
a later policy change does not move running clocks. Deadlines are recomputed
whenever the item changes (`compute_deadlines`); the sweep only needs
`next_due`, the earliest deadline that is neither met nor already alerted.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from dashboard.domain.lifecycle import ItemState
from dashboard.domain.policy import Policy, format_duration, parse_duration
from dashboard.domain.times import format_iso, parse_iso

# Which incident statuses meet each stage (a forward skip meets the stages it skips).
_INCIDENT_STAGES = {
    "acknowledge": ("acknowledged", "arrived", "resolved", "closed"),
    "arrive": ("arrived", "resolved", "closed"),
    "resolve": ("resolved", "closed"),
}


@lru_cache(maxsize=256)  # frozen budgets are re-read as text on every item change
def _duration(text: str) -> timedelta:
    return parse_duration(text)


# The budgets of the policy last asked, by (kind, category, priority): formatting them is
# most of a new item's clock work, and a policy is replaced, never changed.
_frozen: tuple[Policy | None, dict[tuple, dict[str, Any]]] = (None, {})


def freeze_budget(policy: Policy, state: ItemState) -> dict[str, Any]:
    """The part of the policy this item will be held to, as JSON-able data (a new dict)."""
    global _frozen
    cached_policy, budgets = _frozen
    if cached_policy is not policy:
        budgets = {}
        _frozen = (policy, budgets)
    key = (state.kind, state.category, state.priority)
    budget = budgets.get(key)
    if budget is None:
        budget = budgets[key] = _freeze(policy, state)
    return dict(budget)


def _freeze(policy: Policy, state: ItemState) -> dict[str, Any]:
    if state.kind == "incident":
        budget: dict[str, Any] = dict(policy.incident_budget(state.category, state.priority).to_dict())
    elif state.kind == "mediation":
        budget = dict(policy.mediation_budget(state.category).to_dict())
    else:
        budget = {"checkpoint_grace": format_duration(policy.checkpoint_grace), "start_level": "community"}
    budget["escalate_after"] = format_duration(policy.escalate_after)
    budget["ack_timeout"] = format_duration(policy.ack_timeout)
    budget["amber_at"] = policy.amber_fraction
    return budget


def cycle_of(state: ItemState) -> int:
    """Reopening an incident starts a new cycle of deadlines (and alerts)."""
    return int(state.details.get("reopen_count") or 0) if state.kind == "incident" else 0


def compute_deadlines(state: ItemState, budget: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """stage -> {"due": iso, "met": iso | None, "budget_s": seconds}."""
    if state.kind == "incident":
        return _incident_deadlines(state, budget)
    if state.kind == "mediation":
        return _mediation_deadlines(state, budget)
    return _patrol_deadlines(state, budget)


def _entry(start: datetime, length: timedelta, met: str | None) -> dict[str, Any]:
    return {"due": format_iso(start + length), "met": met, "budget_s": int(length.total_seconds())}


def _incident_deadlines(state: ItemState, budget: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    reopened = state.details.get("reopened_at")
    for stage, meeting in _INCIDENT_STAGES.items():
        if not budget.get(stage):
            continue
        # After a reopen only the resolve clock restarts; acknowledge/arrive were met.
        start = parse_iso(reopened) if (reopened and stage == "resolve") else state.opened_at
        met = next((state.stages[s] for s in meeting if s in state.stages), None)
        out[stage] = _entry(start, _duration(budget[stage]), met)
    return out


def _mediation_deadlines(state: ItemState, budget: dict[str, Any]) -> dict[str, dict[str, Any]]:
    if not budget.get("resolve"):
        return {}
    concluded = state.status in ("agreed", "failed", "transferred", "closed")
    met = format_iso(state.updated_at) if concluded else None
    return {"resolve": _entry(state.opened_at, _duration(budget["resolve"]), met)}


def _patrol_deadlines(state: ItemState, budget: dict[str, Any]) -> dict[str, dict[str, Any]]:
    grace = _duration(budget.get("checkpoint_grace") or "15m")
    out = {}
    for cp in state.details.get("checkpoints", []):
        due = parse_iso(cp["due_at"])
        out[f"checkpoint:{cp['name']}"] = {"due": format_iso(due + grace), "met": cp.get("reached_at"),
                                           "budget_s": int(grace.total_seconds()), "planned_at": format_iso(due)}
    return out


def alert_key(stage: str, cycle: int) -> str:
    return f"{stage}#{cycle}"


def next_due(deadlines: dict[str, dict[str, Any]], alerted: set[str], cycle: int) -> datetime | None:
    """Earliest deadline neither met nor alerted: what the sweep waits for."""
    pending = [parse_iso(d["due"]) for stage, d in deadlines.items()
               if d.get("met") is None and alert_key(stage, cycle) not in alerted]
    return min(pending) if pending else None


def overdue(deadlines: dict[str, dict[str, Any]], alerted: set[str], cycle: int, now: datetime) -> list[str]:
    """Stages past due, unmet and not yet alerted, earliest first."""
    late = [(d["due"], stage) for stage, d in deadlines.items()
            if d.get("met") is None and alert_key(stage, cycle) not in alerted and parse_iso(d["due"]) <= now]
    return [stage for _, stage in sorted(late)]


def newly_met(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> list[str]:
    """Stages whose deadline was open before an event and is met after it."""
    return [s for s, d in after.items() if d.get("met") and not (before.get(s) or {}).get("met")]
