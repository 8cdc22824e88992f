"""One case's file (CONTRACT "Read API": `GET /api/v1/items/<kind>/<ref>`, the page
`/case/<kind>/<ref>`): the item's facts, its stage clocks, its departments'
clocks, the items linked to it and one timeline, in seq order, of its events
and of every change of its alerts (alert_log). Codes only; callers add names.

A timeline entry: `{"seq", "at", "type", "entry": "event" | "alert", ...}`;
events carry `user` (the event's actor) and their own fields (`department`,
`checkpoint`, `to`, `note` = the description); alert changes are typed
`alert_<action>` (raised, escalated, rearmed, acknowledged, resolved) with
`alert_id`, `stage`, `level` (where it went), `from_level`, `user` (None for
the system) and `note`.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Engine

from dashboard.domain.departments import DepartmentSpec, department_clocks, late_by
from dashboard.domain.events import INCIDENT_CATEGORIES, MEDIATION_CHANNELS
from dashboard.domain.policy import Policy
from dashboard.domain.times import parse_iso
from dashboard.domain.unit_tree import UnitTree
from dashboard.store.models import Alert, AlertLog, Event, Item
from dashboard.store.serialize import iso

KINDS = ("incident", "patrol", "mediation")
SYSTEM = "system"


def case_file(engine: Engine, *, kind: str, ref: str, policy: Policy, now: datetime) -> dict[str, Any] | None:
    """The case file of (kind, ref), or None when there is no such item."""
    with engine.connect() as conn:
        item = conn.execute(select(Item).where(Item.kind == kind, Item.ref == ref)).mappings().first()
        if item is None:
            return None
        events = conn.execute(select(Event).where(Event.kind == kind, Event.ref == ref)
                              .order_by(Event.seq)).mappings().all()
        alerts = conn.execute(select(Alert).where(_alerts_of(kind, ref))).mappings().all()
        changes = conn.execute(select(AlertLog).where(AlertLog.alert_id.in_([a["id"] for a in alerts]))
                               .order_by(AlertLog.seq)).mappings().all() if alerts else []
        links = _links(conn, item, alerts, policy)
    state = item["state"] or {}
    details = state.get("details") or {}
    budget = state.get("budget") or {}
    opening = events[0] if events else None
    by_id = {a["id"]: a for a in alerts}
    timeline = [_event_entry(e) for e in events] + [_alert_entry(c, by_id[c["alert_id"]]) for c in changes]
    return {
        "kind": kind, "ref": ref, "unit": item["unit"], "status": item["status"], "open": item["is_open"],
        "category": item["category"], "priority": item["priority"], "title": item["title"],
        "opened_at": iso(item["opened_at"]), "updated_at": iso(item["updated_at"]), "seq": item["last_seq"],
        "source": opening["source"] if opening else None, "reporter": opening["actor"] if opening else None,
        "description": opening["description"] if opening else None,
        "location": details.get("location") or details.get("last_position"),
        "department": ((details.get("dispatches") or [{}])[-1]).get("department"),
        "budget": budget, "details": details,
        "clocks": [_clock(stage, d, now) for stage, d in (state.get("deadlines") or {}).items()],
        "department_clocks": [{"department": d["department"], "at": d["at"],
                               "clocks": [_clock(stage, c, now) for stage, c in d["clocks"].items()]}
                              for d in department_clocks(details, budget)],
        "alerts": [{"id": a["id"], "stage": a["stage"], "state": a["state"], "level": a["level"],
                    "active": a["active"], "reason": a["reason"]} for a in alerts],
        "links": links,
        "timeline": sorted(timeline, key=lambda e: e["seq"]),
    }


def _alerts_of(kind: str, ref: str):
    # Its own alerts, and a surge alert its report set off (the surge names the latest report).
    return or_(Alert.subject == f"{kind}:{ref}", and_(Alert.stage == "surge", Alert.kind == kind, Alert.ref == ref))


def _clock(stage: str, deadline: dict, now: datetime) -> dict[str, Any]:
    due = parse_iso(deadline["due"])
    budget_s = int(deadline["budget_s"])
    late = late_by(deadline, now)
    met = deadline.get("met")
    status = ("met" if late <= timedelta(0) else "late") if met else ("overdue" if late > timedelta(0) else "running")
    start = parse_iso(deadline["start"]) if deadline.get("start") else due - timedelta(seconds=budget_s)
    return {"stage": stage, "start": iso(start), "budget_s": budget_s, "due": iso(due), "met": iso(parse_iso(met)) if met else None, "status": status,
            "late_by_s": int(late.total_seconds())}


def _event_entry(e) -> dict[str, Any]:
    attrs = e["attributes"] or {}
    entry = {"seq": e["seq"], "at": iso(e["occurred_at"]), "received_at": iso(e["received_at"]), "type": e["type"],
             "entry": "event", "user": e["actor"], "note": e["description"], "unit": e["unit"],
             "source": e["source"], "title": e["title"]}
    for key in ("department", "checkpoint", "to", "incident_ref", "session"):
        if key in attrs:
            entry[key] = attrs[key]
    return entry


def _alert_entry(c, alert) -> dict[str, Any]:
    return {"seq": c["seq"], "at": iso(c["at"]), "type": f"alert_{c['action']}", "entry": "alert",
            "alert_id": c["alert_id"], "stage": alert["stage"], "level": c["to_level"], "from_level": c["from_level"],
            "user": None if c["actor"] == SYSTEM else c["actor"], "note": c["note"], "reason": alert["reason"]}


def _links(conn, item, alerts, policy: Policy) -> list[dict[str, Any]]:
    """Items this one is tied to: the patrol whose anomaly opened an incident, the incidents a
    patrol's anomalies opened, and the surge an incident is part of (with the other incidents in it)."""
    details = (item["state"] or {}).get("details") or {}
    wanted: list[tuple[str, str, str]] = []
    if item["kind"] == "incident" and details.get("patrol_ref"):
        wanted.append(("found_by", "patrol", details["patrol_ref"]))
    if item["kind"] == "patrol":
        wanted += [("anomaly", "incident", a["incident_ref"]) for a in details.get("anomalies", ())]
    if item["kind"] == "incident" and item["category"]:
        wanted += [("surge", "incident", ref) for ref in _surge_members(conn, item, policy) if ref != item["ref"]]
    if not wanted:
        return []
    found = {(r["kind"], r["ref"]): r for r in conn.execute(
        select(Item.kind, Item.ref, Item.title, Item.status, Item.unit).where(
            or_(*[and_(Item.kind == k, Item.ref == r) for _, k, r in wanted]))).mappings()}
    return [{"relation": relation, "kind": k, "ref": r, "title": (found.get((k, r)) or {}).get("title"),
             "status": (found.get((k, r)) or {}).get("status"), "exists": (k, r) in found}
            for relation, k, r in wanted]


def _surge_members(conn, item, policy: Policy) -> list[str]:
    """Incidents of the surge alert raised for this incident's grid and category whose reports fall
    in the surge window before the report that set it off (or while it was active)."""
    subject = f"surge:{item['unit']}:{item['category']}"
    surges = conn.execute(select(Alert.ref, Alert.resolved_at).where(Alert.subject == subject)).all()
    members: list[str] = []
    for trigger_ref, resolved in surges:
        trigger = conn.execute(select(Item.opened_at).where(Item.kind == "incident", Item.ref == trigger_ref)).scalar()
        if trigger is None:
            continue
        stmt = select(Event.ref).where(Event.kind == "incident", Event.type == "reported", Event.unit == item["unit"],
                                       Event.category == item["category"], Event.occurred_at > trigger - policy.surge_window)
        if resolved is not None:  # resolved: the reports up to then; still active: every later one joins it
            stmt = stmt.where(Event.occurred_at <= max(trigger, resolved))
        refs = list(conn.execute(stmt.order_by(Event.occurred_at)).scalars())
        if item["ref"] in refs:
            members += [r for r in refs if r not in members]
    return members


def with_names(case: dict[str, Any], tree: UnitTree, departments: dict[str, DepartmentSpec],
               lang: str) -> dict[str, Any]:
    """The case file with `*_name` fields in `lang` next to its unit, category and department codes."""
    zh = lang == "zh"

    def unit_name(code: str) -> str:
        node = tree.get(code)
        return (node.name if zh else node.name_en) if node else code

    def department_name(code: str) -> str:
        spec = departments.get(code)
        return (spec.name if zh else spec.name_en) if spec else code

    names = INCIDENT_CATEGORIES.get(case["category"] or "") or MEDIATION_CHANNELS.get(case["category"] or "")
    case["unit_name"] = unit_name(case["unit"])
    case["unit_path"] = [{"code": c, "name": unit_name(c), "level": tree.nodes[c].level}
                         for c in reversed(tree.lineage(case["unit"]))]
    case["category_name"] = names[0 if zh else 1] if names else case["category"]
    for holder in [case, *case["department_clocks"], *case["timeline"]]:
        if holder.get("department"):
            holder["department_name"] = department_name(holder["department"])
    return case
