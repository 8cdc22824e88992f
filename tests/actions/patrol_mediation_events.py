"""For the patrol and mediation tests: `Services` on a seeded database with a
moving clock (no sleeping; the `svc` fixture of tests/actions/conftest.py),
event builders, and an ingest helper that moves the clock to the event's time
(a source sends what just happened)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any


from dashboard.actions.ingest import IngestResult, do_ingest_events
from dashboard.actions.sweep import do_sweep
from dashboard.domain.events import EventIn
from dashboard.services import Services
from tests import fixtures
# The unit codes the patrol and mediation tests import from here.
from tests.fixtures import COMMUNITY, GRID2, GRID3, OTHER_GRID, SIBLING_GRID, STREET  # noqa: F401
from tests.fixtures import GRID as GRID1, SIBLING_COMMUNITY as SIBLING  # noqa: F401
from tests.helpers import unique

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=CST)  # a Friday morning in Tongliang
MIN = timedelta(minutes=1)
DAY = timedelta(days=1)

POLICY = fixtures.policy(priority=fixtures.URGENT_AT_DISTRICT, channel={"judicial": "{resolve: 60d}"})


def make_services(url: str, tmp_path, policy: str = POLICY, now: datetime = T0) -> Services:
    return fixtures.make_services(url, tmp_path, policy=policy, now=now)


# --- events ----------------------------------------------------------------------

def _at(when: datetime) -> str:
    return when.astimezone(CST).isoformat()


def event(kind: str, type_: str, ref: str, unit: str, at: datetime, **fields: Any) -> dict[str, Any]:
    source = {"patrol": "patrol-app", "mediation": "mediation"}.get(kind, "grid-app")
    ev = {"id": unique(type_), "source": source, "kind": kind, "type": type_, "ref": ref, "unit": unit,
          "occurred_at": _at(at)}
    ev.update(fields)
    return ev


def started(ref: str, unit: str, at: datetime, checkpoints: list[tuple[str, str, datetime]], *,
            team: str = "正街社区治安巡逻队", team_kind: str = "security_patrol", **fields: Any) -> dict[str, Any]:
    return event("patrol", "started", ref, unit, at, title=f"{team} 巡逻", attributes={
        "team": team, "team_kind": team_kind,
        "checkpoints": [{"name": n, "unit": u, "due_at": _at(d)} for n, u, d in checkpoints]}, **fields)


def checkpoint(ref: str, name: str, unit: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return event("patrol", "checkpoint", ref, unit, at, attributes={"checkpoint": name}, **fields)


def position(ref: str, unit: str, at: datetime, lat: float, lon: float) -> dict[str, Any]:
    return event("patrol", "position", ref, unit, at, location={"lat": lat, "lon": lon})


def anomaly(ref: str, unit: str, at: datetime, **attributes: Any) -> dict[str, Any]:
    return event("patrol", "anomaly", ref, unit, at, title="巡逻发现：乱停车", attributes=attributes)


def ended(ref: str, unit: str, at: datetime) -> dict[str, Any]:
    return event("patrol", "ended", ref, unit, at)


def mediation(ref: str, type_: str, unit: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return event("mediation", type_, ref, unit, at, **fields)


def accepted(ref: str, unit: str, at: datetime, channel: str = "people") -> dict[str, Any]:
    return mediation(ref, "accepted", unit, at, category=channel, title=f"{channel} 调解 {ref}")


def transferred(ref: str, unit: str, at: datetime, to: str) -> dict[str, Any]:
    return mediation(ref, "transferred", unit, at, attributes={"to": to})


def reported(ref: str, unit: str, at: datetime, *, category: str = "parking", priority: int = 3,
             **fields: Any) -> dict[str, Any]:
    return event("incident", "reported", ref, unit, at, category=category, priority=priority,
                 title=f"乱停车 {ref}", **fields)


# --- actions on the moving clock ---------------------------------------------------

def ingest(svc: Services, *events: dict[str, Any]) -> IngestResult:
    """Ingest a batch; the clock moves forward to the latest occurred_at (never back)."""
    parsed = [EventIn.model_validate(e) for e in events]
    svc.clock.now = max([svc.clock.now, *(e.occurred_at for e in parsed)])
    return do_ingest_events(svc, parsed)


def sweep_at(svc: Services, at: datetime) -> list[dict]:
    """Sweep at `at`; the alert messages it announced."""
    svc.clock.now = at
    start = len(svc.announcer.messages)
    do_sweep(svc, at)
    return [m["data"] for m in svc.announcer.messages[start:] if m["name"] == "alert"]


def brief(alerts: list[dict]) -> list[tuple]:
    return [(a["action"], a["ref"], a["stage"], a["level"], a["holder"]) for a in alerts]


def local_day(day: datetime) -> tuple[datetime, datetime]:
    start = day.astimezone(CST).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + DAY
