"""End to end: a patrol and mediations posted through the API to a real server
show on the community wall (正街社区) and on its street's wall (巴川街道) in
headless Chromium, from the snapshot and then live, with exactly the numbers
recomputed from the stored events by an independent query (independent.py)
and those of GET /api/v1/patrols and /api/v1/mediations.

The wall's element ids are those of layouts/ids.py and assets/wall_panels.js:
#wall-patrol-active / -cover / -late / -list (rows keyed data-key = patrol ref
on a community, "ref|checkpoint" of overdue checkpoints above), #wall-med-<channel>,
#wall-med-overdue, #wall-med-success, #wall-med-list (rows keyed by mediation
ref on a community, "from>to" transfers above), #wall-league rows keyed by
child code with .lg-cover, #wall-open-items rows keyed "incident:<ref>"."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest
import requests
from playwright.sync_api import expect

from dashboard.store.db import make_engine
from tests.helpers import AUTH, unique
from tests.actions.patrol_mediation_events import (COMMUNITY, CST, GRID1, GRID2, GRID3, SIBLING, SIBLING_GRID, STREET, accepted,
                                    anomaly, checkpoint, ended, mediation, position, started, transferred)
from tests.store.independent import Raw, expected_mediations, expected_patrols

pytestmark = [pytest.mark.integration, pytest.mark.browser]

GRACE = timedelta(minutes=15)
BUDGET = {"default": timedelta(days=30)}
POLICY = """\
sweep_interval: 1h
escalate_after: 30d
ack_timeout: 30d
incident:
  default: {acknowledge: none, arrive: none, resolve: none}
mediation:
  default: {resolve: 30d}
patrol:
  checkpoint_grace: 15m
surge: {window: 1s, count: 100000}
"""
LIVE = "实时"
TEAM = "正街社区治安巡逻队"


def post(server, events: list[dict]) -> None:
    r = requests.post(server.url + "/api/v1/events", json=events, headers=AUTH, timeout=10)
    assert r.status_code == 202, r.text


def percent(part: int, whole: int) -> str:
    """As the wall writes it (Math.round, halves up)."""
    return f"{math.floor(100 * part / whole + 0.5)}%" if whole else "–"


def expected(database_url: str, unit: str, now: datetime) -> tuple[dict, dict]:
    engine = make_engine(database_url)
    try:
        raw = Raw.load(engine)
    finally:
        engine.dispose()
    local = now.astimezone(CST)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = day_start.replace(day=1)
    return (expected_patrols(raw, unit, day_start, day_start + timedelta(days=1), now, GRACE),
            expected_mediations(raw, unit, month_start, now, BUDGET))


def api(server, path: str, unit: str) -> dict:
    r = requests.get(f"{server.url}/api/v1/{path}", params={"unit": unit}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def check_wall(page, server, database_url: str, unit: str, *, patrol: str, late: list[str]) -> None:
    """The wall of `unit` shows the independent numbers, and so does the API."""
    patrols, mediations = expected(database_url, unit, datetime.now(timezone.utc))
    text = lambda selector, value: expect(page.locator(selector)).to_have_text(value, timeout=10000)  # noqa: E731
    text("#wall-patrol-active", str(patrols["active"]))
    text("#wall-patrol-cover", percent(patrols["covered"], patrols["grids"]))
    text("#wall-patrol-late", str(len(patrols["overdue_checkpoints"])))
    assert [f"{ref}|{name}" for ref, name, _, _ in patrols["overdue_checkpoints"]] == late
    for channel, count in mediations["open_by_channel"].items():
        text(f"#wall-med-{channel}", str(count))
    text("#wall-med-overdue", str(mediations["overdue"]))
    text("#wall-med-success", percent(mediations["agreed_month"], mediations["agreed_month"] + mediations["failed_month"]))
    # the API says the same
    summary = api(server, "patrols", unit)
    assert (summary["active"], summary["covered"], summary["grids"]) == (
        patrols["active"], patrols["covered"], patrols["grids"])
    assert summary["by_child"] == patrols["by_child"]
    assert sorted(f"{o['ref']}|{o['checkpoint']}" for o in summary["overdue_checkpoints"]) == late
    med = api(server, "mediations", unit)
    for key in ("open_by_channel", "overdue", "agreed_month", "failed_month", "success_rate_month"):
        assert med[key] == mediations[key], key
    assert {(t["from"], t["to"]): t["count"] for t in med["transfers_month"]} == mediations["transfers_month"]
    assert patrol in {p["ref"] for p in summary["patrols"]}


def test_patrol_and_mediations_on_the_community_and_street_walls(live_server, sqlite_url, page, tmp_path,
                                                                 output_dir):
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    server = live_server("walls", {"DASHBOARD_POLICY_FILE": str(policy), "DASHBOARD_COALESCE_MS": "0"},
                         database_url=sqlite_url)
    now = datetime.now(CST)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)
    pat, other, late_med, agreed_med, open_med = (unique("PAT"), unique("PAT"), unique("MED"), unique("MED"),
                                                  unique("MED"))
    # a patrol: A reached (today), B overdue (due 30 min ago + 15 min grace), C still ahead; an anomaly on the way
    post(server, [started(pat, COMMUNITY, now - timedelta(minutes=40), [
        ("东门岗亭", GRID1, now - timedelta(minutes=35)), ("菜市场", GRID2, now - timedelta(minutes=30)),
        ("小学门口", GRID3, now + timedelta(minutes=30))], team=TEAM)])
    post(server, [checkpoint(pat, "东门岗亭", GRID1, max(now - timedelta(minutes=34), today + timedelta(seconds=1))),
                  position(pat, GRID1, now - timedelta(minutes=20), 29.84, 106.05),
                  anomaly(pat, GRID1, now - timedelta(minutes=10))])
    # another community's patrol: on the street's wall only
    post(server, [started(other, SIBLING, now - timedelta(minutes=5), [("河边", SIBLING_GRID, now + timedelta(hours=1))],
                          team="金龙社区网格员巡查组", team_kind="grid_worker")])
    # mediations: one overdue and moved to judicial mediation today, one agreed today, one open and young
    post(server, [accepted(late_med, GRID1, now - timedelta(days=40)),
                  mediation(late_med, "failed", GRID1, now - timedelta(days=39)),
                  transferred(late_med, GRID1, max(now - timedelta(seconds=30), month), "judicial"),
                  accepted(agreed_med, GRID2, max(now - timedelta(seconds=20), month)),
                  mediation(agreed_med, "agreed", GRID2, max(now - timedelta(seconds=10), month + timedelta(seconds=1))),
                  accepted(open_med, GRID2, now - timedelta(days=2), channel="administrative")])

    # --- the community's wall -------------------------------------------------------------
    page.goto(f"{server.url}/wall/{COMMUNITY}")
    expect(page.locator("#wall-connection")).to_have_text(LIVE, timeout=20000)
    check_wall(page, server, sqlite_url, COMMUNITY, patrol=pat, late=[f"{pat}|菜市场"])
    row = page.locator(f'#wall-patrol-list [data-key="{pat}"]')
    expect(row.locator(".mini-name")).to_have_text(TEAM)
    expect(row.locator(".mini-what")).to_have_text("菜市场")          # the next checkpoint: the overdue one
    expect(page.locator(f'#wall-patrol-list [data-key="{other}"]')).to_have_count(0)
    for ref in (late_med, open_med):
        expect(page.locator(f'#wall-med-list [data-key="{ref}"]')).to_have_count(1)
    expect(page.locator(f'#wall-med-list [data-key="{agreed_med}"]')).to_have_count(0)  # agreed: no longer open
    expect(page.locator(f'#wall-open-items [data-key="incident:{pat}-A1"]')).to_have_count(1)  # the anomaly's incident
    page.screenshot(path=str(output_dir / "streams-community-wall.png"))

    # live: B is reached late, C ahead is still ahead; the agreed case closes
    post(server, [checkpoint(pat, "菜市场", GRID2, now + timedelta(seconds=1)),
                  mediation(agreed_med, "closed", GRID2, now + timedelta(seconds=2))])
    expect(row.locator(".mini-what")).to_have_text("小学门口", timeout=5000)
    check_wall(page, server, sqlite_url, COMMUNITY, patrol=pat, late=[])

    # --- the street's wall -------------------------------------------------------------------
    page.goto(f"{server.url}/wall/{STREET}")
    expect(page.locator("#wall-connection")).to_have_text(LIVE, timeout=20000)
    check_wall(page, server, sqlite_url, STREET, patrol=pat, late=[])
    expect(page.locator('#wall-med-list [data-key="people>judicial"] .mini-count')).to_have_text("1")
    patrols, _ = expected(sqlite_url, STREET, datetime.now(timezone.utc))
    league = page.locator(f'#wall-league [data-key="{COMMUNITY}"] .lg-cover')
    expect(league).to_have_text(percent(patrols["by_child"][COMMUNITY]["covered"], patrols["by_child"][COMMUNITY]["grids"]))
    expect(page.locator(f'#wall-open-items [data-key="incident:{pat}-A1"]')).to_have_count(1)

    # live on the street's wall: the other patrol misses nothing yet, then ends; a transfer to the police
    post(server, [ended(other, SIBLING, now + timedelta(seconds=3)),
                  transferred(open_med, GRID2, max(now + timedelta(seconds=4), month), "police")])
    expect(page.locator('#wall-med-list [data-key="administrative>police"] .mini-count')).to_have_text("1",
                                                                                                      timeout=5000)
    check_wall(page, server, sqlite_url, STREET, patrol=pat, late=[])
    page.screenshot(path=str(output_dir / "streams-street-wall.png"))

