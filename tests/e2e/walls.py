"""Helpers for the wall tests: a policy under which some deadlines fall due
within seconds (so alerts exist), opening a wall in headless Chromium while
recording every request, and the figures a wall must show, computed from the
read API. The fixtures (wall_policy, shots, server_on_port) are in
tests/e2e/conftest.py."""
from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import requests

from tests.fixtures import policy
from tests.helpers import AUTH, OUTPUT_DIR, unique

CST = timezone(timedelta(hours=8))
SHOTS = OUTPUT_DIR / "walls"
LOCAL_PREFIXES = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")

# Priority 2 must be acknowledged within 3 s (alerts at the community centre);
# priority 1 likewise, held by the district at once; the rest never falls due.
WALL_POLICY = policy(sweep="1s", escalate="30m", incident="{acknowledge: 1h, arrive: 2h, resolve: 24h}",
                     priority={1: "{acknowledge: 3s, arrive: 1h, resolve: 24h, start_level: district}",
                               2: "{acknowledge: 3s, arrive: 1h, resolve: 24h}"},
                     surge="{window: 1h, count: 1000}")


def sweeping(policy: str, **extra: str) -> dict[str, str]:
    """Environment of a server that runs the deadline sweep under `policy`."""
    return {"DASHBOARD_POLICY_FILE": policy, "DASHBOARD_SCHEDULER": "1", **extra}


# --- talking to the server ---------------------------------------------------------------

def now_iso(seconds_ago: float = 0.0) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)).isoformat(timespec="milliseconds")


def post(base_url: str, events: list[dict] | dict) -> list[int]:
    r = requests.post(base_url + "/api/v1/events", json=events, headers=AUTH, timeout=60)
    assert r.status_code == 202, r.text
    return [x["seq"] for x in r.json()["results"]]


def get(base_url: str, path: str, **params) -> dict:
    r = requests.get(base_url + path, params=params, timeout=30)
    assert r.status_code == 200, f"GET {path} {params}: {r.status_code} {r.text[:300]}"
    return r.json()


def event(kind: str, type_: str, unit: str, ref: str, *, seconds_ago: float = 0.0, **fields) -> dict:
    source = {"incident": "grid-app", "patrol": "patrol-app", "mediation": "mediation"}[kind]
    return {"id": unique("ev"), "source": source, "kind": kind, "type": type_, "ref": ref, "unit": unit,
            "occurred_at": now_iso(seconds_ago), **fields}


def reported(unit: str, *, priority: int = 3, category: str = "parking", title: str | None = None,
             seconds_ago: float = 0.0, **fields) -> dict:
    ref = unique("INC")
    return event("incident", "reported", unit, ref, seconds_ago=seconds_ago, priority=priority, category=category,
                 title=title or f"乱停车 {ref[-8:]}", **fields)


def in_cst_today(iso: str | None) -> bool:
    if not iso:
        return False
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(CST).date() == datetime.now(CST).date()


def expected_figures(base_url: str, unit: str) -> dict:
    """What a wall of `unit` must show, from the read API alone."""
    every = get(base_url, "/api/v1/incidents", unit=unit, status="all")["incidents"]
    open_ = get(base_url, "/api/v1/incidents", unit=unit, status="open")["incidents"]
    alerts = get(base_url, "/api/v1/alerts", unit=unit, state="active")["alerts"]
    resolved = [i for i in every if in_cst_today((i["stages"] or {}).get("resolved") or (i["stages"] or {}).get("closed"))]
    by_level = Counter(a["level"] for a in alerts)
    return {
        "new_today": sum(1 for i in every if in_cst_today(i["opened_at"])),
        "open": len(open_),
        "resolved_today": len(resolved),
        "alerts": {level: by_level.get(level, 0) for level in ("community", "street", "district")},
        "open_refs": sorted(i["ref"] for i in open_),
        "open_by_unit": Counter(i["unit"] for i in open_),
    }


# --- the wall in the browser ----------------------------------------------------------------

def record_requests(page) -> list[str]:
    """Every URL the page asks for, from now on (to prove nothing leaves 127.0.0.1)."""
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.on("websocket", lambda ws: urls.append(ws.url))
    return urls


def outside(urls: list[str]) -> list[str]:
    return [u for u in urls if not u.startswith(LOCAL_PREFIXES)]


def open_wall(page, base_url: str, unit: str, query: str = "", timeout: float = 45000) -> None:
    """Load a wall and wait until it is live with its snapshot drawn."""
    page.goto(f"{base_url}/wall/{unit}{query}")
    page.wait_for_function("() => window.wall && window.wall.state === 'live' && window.wall.score", timeout=timeout)


def kpis(page) -> dict:
    return page.evaluate("""() => {
      const v = (k) => document.querySelector(`[data-kpi="${k}"] .kpi-value`).textContent;
      const sub = (k, s) => document.querySelector(`[data-kpi="${k}"] [data-sub="${s}"] .kpi-sub-value`).textContent;
      return {new_today: v('new_today'), open: v('incident'), resolved_today: v('resolved_today'),
              patrols: v('patrol'), mediations: v('mediation'),
              alerts: {community: sub('alerts', 'community'), street: sub('alerts', 'street'), district: sub('alerts', 'district')},
              ontime: {acknowledge: sub('ontime', 'acknowledge'), arrive: sub('ontime', 'arrive'), resolve: sub('ontime', 'resolve')}};
    }""")


def wait_until(page, predicate_js: str, arg=None, timeout: float = 15000):
    return page.wait_for_function(predicate_js, arg=arg, timeout=timeout)


def settle(seconds: float) -> None:
    """Give the wall's league and map cadences (0.5-15 s) and the sweep (1 s) time to act."""
    time.sleep(seconds)
