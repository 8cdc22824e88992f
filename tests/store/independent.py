"""The patrol and mediation numbers recomputed from the raw `event` and `unit`
tables, independently of the code under test: plain SQL, no models, no item
state, no unit tree, no lifecycle module; the rules restated from CONTRACT and
DOMAIN in a few lines each."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

CHANNELS = ("people", "administrative", "judicial")
DAY = timedelta(days=1)


def _when(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _json(value: Any) -> dict:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class Raw:
    units: dict[str, tuple[str, str | None]]          # code -> (level, parent)
    events: list[dict[str, Any]]                       # seq order

    @classmethod
    def load(cls, engine: Engine) -> "Raw":
        with engine.connect() as conn:
            units = {c: (lvl, p) for c, lvl, p in conn.execute(text("SELECT code, level, parent FROM unit"))}
            rows = conn.execute(text("SELECT seq, kind, type, ref, unit, occurred_at, category, lat, lon, attributes "
                                     "FROM event ORDER BY seq")).all()
        events = [{"seq": r[0], "kind": r[1], "type": r[2], "ref": r[3], "unit": r[4], "at": _when(r[5]),
                   "category": r[6], "lat": r[7], "lon": r[8], "attributes": _json(r[9])} for r in rows]
        return cls(units, events)

    def within(self, code: str | None, ancestor: str) -> bool:
        while code is not None:
            if code == ancestor:
                return True
            code = self.units[code][1]
        return False

    def child_of(self, unit: str, code: str | None) -> str | None:
        while code is not None:
            if self.units[code][1] == unit:
                return code
            code = self.units[code][1]
        return None

    def children(self, unit: str) -> list[str]:
        return [c for c, (_, p) in self.units.items() if p == unit]

    def grids(self, unit: str) -> set[str]:
        return {c for c, (lvl, _) in self.units.items() if lvl == "grid" and self.within(c, unit)}


# --- patrols ---------------------------------------------------------------------------

@dataclass
class Patrol:
    ref: str
    unit: str
    team: str
    team_kind: str
    planned: list[tuple[str, str, datetime]]
    reached: dict[str, tuple[datetime, str]] = field(default_factory=dict)   # name -> first (time, unit)
    ended: bool = False
    position: tuple[datetime, float, float] | None = None


def patrols(raw: Raw) -> dict[str, Patrol]:
    out: dict[str, Patrol] = {}
    for e in raw.events:
        if e["kind"] != "patrol":
            continue
        a = e["attributes"]
        if e["type"] == "started":
            out[e["ref"]] = Patrol(e["ref"], e["unit"], a["team"], a["team_kind"],
                                   [(c["name"], c["unit"], _when(datetime.fromisoformat(c["due_at"])))
                                    for c in a["checkpoints"]])
        p = out[e["ref"]]
        if e["lat"] is not None and (p.position is None or e["at"] >= p.position[0]):
            p.position = (e["at"], e["lat"], e["lon"])
        if e["type"] == "checkpoint":
            first = p.reached.get(a["checkpoint"])
            if first is None or e["at"] < first[0]:
                p.reached[a["checkpoint"]] = (e["at"], e["unit"])
        elif e["type"] == "ended":
            p.ended = True
    return out


def expected_patrols(raw: Raw, unit: str, day_start: datetime, day_end: datetime, now: datetime,
                     grace: timedelta) -> dict[str, Any]:
    every = patrols(raw)
    grids = raw.grids(unit)
    covered = {where for p in every.values() for at, where in p.reached.values()
               if day_start <= at < day_end and where in grids}
    active = [p for p in every.values() if not p.ended and raw.within(p.unit, unit)]
    overdue = [(p, name, where, due) for p in active for name, where, due in p.planned
               if name not in p.reached and due + grace <= now]
    by_child = {}
    for c in raw.children(unit):
        mine = raw.grids(c)
        by_child[c] = {
            "grids": len(mine), "covered": len(mine & covered),
            "active": sum(1 for p in active if c in {raw.child_of(unit, u) for u in [p.unit, *(w for _, w, _ in p.planned)]}),
            "overdue_checkpoints": sum(1 for p, _, where, _ in overdue
                                       if (raw.child_of(unit, where) or raw.child_of(unit, p.unit)) == c)}
    rows = {}
    for p in active:
        upcoming = next(((n, w, d) for n, w, d in p.planned if n not in p.reached), None)
        rows[p.ref] = {"ref": p.ref, "team": p.team, "team_kind": p.team_kind, "unit": p.unit,
                       "reached": len(p.reached), "planned": len(p.planned),
                       "last_position": {"lat": p.position[1], "lon": p.position[2]} if p.position else None,
                       "next_checkpoint": None if upcoming is None else {
                           "name": upcoming[0], "unit": upcoming[1], "due_at": iso(upcoming[2]),
                           "deadline": iso(upcoming[2] + grace)}}
    return {"active": len(active), "grids": len(grids), "covered": len(covered), "by_child": by_child,
            "overdue_checkpoints": sorted((p.ref, name, where, iso(due)) for p, name, where, due in overdue),
            "patrols": rows}


# --- mediations ----------------------------------------------------------------------

@dataclass
class Case:
    ref: str
    unit: str
    opened: datetime
    channel: str
    status: str = "accepted"
    path: list[str] = field(default_factory=list)


def expected_mediations(raw: Raw, unit: str, month_start: datetime, now: datetime,
                        budget: dict[str, timedelta]) -> dict[str, Any]:
    cases: dict[str, Case] = {}
    agreed = failed = 0
    transfers: Counter = Counter()
    for e in raw.events:
        if e["kind"] != "mediation":
            continue
        t, ref = e["type"], e["ref"]
        counted = raw.within(e["unit"], unit) and month_start <= e["at"] <= now
        if t == "accepted":
            cases[ref] = Case(ref, e["unit"], e["at"], e["category"], path=[e["category"]])
            continue
        case = cases[ref]
        if t == "session":
            case.status = "in_mediation"
        elif t in ("agreed", "failed"):
            case.status = t
            agreed += counted and t == "agreed"
            failed += counted and t == "failed"
        elif t == "transferred":
            to = e["attributes"]["to"]
            if counted:
                transfers[(case.channel, to)] += 1
            case.path.append(to)
            case.status = "in_mediation" if to in CHANNELS else "transferred"
            case.channel = to if to in CHANNELS else case.channel
        elif t == "closed":
            case.status = "closed"
    open_cases = {}
    for c in cases.values():
        if c.status not in ("accepted", "in_mediation", "transferred") or not raw.within(c.unit, unit):
            continue
        due = c.opened + budget.get(c.path[0], budget["default"])
        open_cases[c.ref] = {"ref": c.ref, "channel": c.channel, "unit": c.unit, "status": c.status,
                             "opened_at": iso(c.opened), "days_open": (now - c.opened) // DAY, "due_at": iso(due),
                             "overdue": c.status != "transferred" and due <= now, "path": c.path}
    by_channel = dict.fromkeys(CHANNELS, 0)
    for c in open_cases.values():
        by_channel[c["channel"]] += 1
    return {"open_by_channel": by_channel, "open": len(open_cases),
            "overdue": sum(c["overdue"] for c in open_cases.values()),
            "agreed_month": agreed, "failed_month": failed,
            "success_rate_month": agreed / (agreed + failed) if agreed + failed else None,
            "transfers_month": {k: n for k, n in transfers.items()}, "open_cases": open_cases}
