"""In headless Chromium against a real server (bundled policy, deadline sweep on): a duty
officer opens, from the alert console, the case file behind an alert acknowledged with a
note and finds the note in its timeline; then opens the department scorecard on /trends
and, from its list of overdue cases, another case file. Screenshots at 1920x1080 of the
case page, its print rendering and the scorecard go to test-output/."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
import requests

from tests.e2e.live_api import add_users
from tests.helpers import AUTH, GRID, OUTPUT_DIR, wait_for
from tests.api.test_scorecard import inc, rep, to

pytestmark = [pytest.mark.integration, pytest.mark.browser]

OFFICER, PASSWORD = "duty-wang", "duty password 1"
NOTE = "已电话督促城管队员到场，预计十分钟内到达"
LIVE = "INC-LIVE-CASE"


def iso(delta_minutes: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(minutes=delta_minutes)).isoformat()


def march_events() -> list[dict]:
    """March dispatches to three departments, five or more each (one still overdue), for the scorecard."""
    um, ps, hc = "urban_management", "public_security", "housing_construction"
    plan = [(um, 40, 600), (um, 90, 1500), (ps, 10, 180), (ps, 20, 200), (hc, 50, 1300), (hc, 30, 900),
            (um, 35, 500), (ps, 70, 300), (hc, 55, 1600), (um, 25, 400), (ps, 15, 240), (hc, 80, 2000),
            (um, 45, 700), (ps, 30, 260), (hc, 40, 1000)]
    events = []
    for n, (dept, arrive, resolve) in enumerate(plan):
        ref, day = f"M-{n}", f"03-{1 + n:02d}"
        events += [rep(ref, GRID, f"{day}T09:00", "parking", 2), to(ref, GRID, f"{day}T09:10", dept),
                   inc("acknowledged", ref, GRID, f"{day}T09:12"),
                   inc("arrived", ref, GRID, (datetime(2026, 3, 1 + n, 9, 10) + timedelta(minutes=arrive))
                       .strftime("%m-%dT%H:%M")),
                   inc("resolved", ref, GRID, (datetime(2026, 3, 1 + n, 9, 10) + timedelta(minutes=resolve))
                       .strftime("%m-%dT%H:%M"))]
    events += [rep("M-OVERDUE", GRID, "03-20T09:00", "sanitation", 2), to("M-OVERDUE", GRID, "03-20T09:20", hc),
               inc("acknowledged", "M-OVERDUE", GRID, "03-20T09:25")]
    return events


@pytest.fixture
def case_server(live_server, sqlite_url):
    add_users(sqlite_url, {OFFICER: ("duty", "tongliang")}, password=PASSWORD)
    server = live_server("case", env={"DASHBOARD_POLICY_FILE": "", "DASHBOARD_SCHEDULER": "1"},
                         database_url=sqlite_url)
    live = [{"id": "live-1", "source": "grid-app", "kind": "incident", "type": "reported", "ref": LIVE, "unit": GRID,
             "occurred_at": iso(-30), "category": "parking", "priority": 2, "title": "消防通道被占（演示）",
             "actor": "网格员张三", "description": "三号楼消防通道被私家车占用"},
            {"id": "live-2", "source": "grid-app", "kind": "incident", "type": "dispatched", "ref": LIVE,
             "unit": GRID, "occurred_at": iso(-25), "actor": "巴川街道指挥中心",
             "attributes": {"department": "urban_management"}}]
    for batch in (march_events(), live):
        response = requests.post(server.url + "/api/v1/events", json=batch, headers=AUTH, timeout=30)
        assert response.status_code == 202, response.text
    return server


def live_alert(server) -> dict:
    alerts = requests.get(server.url + "/api/v1/alerts", params={"unit": "tongliang"}, timeout=10).json()["alerts"]
    return next((a for a in alerts if a["ref"] == LIVE and a["stage"] == "acknowledge"), None)


def log_in(page, server, path: str) -> None:
    page.goto(f"{server.url}/login?next={quote(path, safe='/')}")
    page.fill('input[name="name"]', OFFICER)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"**{path.split('?')[0]}**")


def test_case_opened_from_console_shows_the_note_and_scorecard_links_cases(case_server, page):
    server = case_server
    alert = wait_for(lambda: live_alert(server), 20, "the sweep to raise the acknowledge alert")
    ack = requests.post(f"{server.url}/api/v1/alerts/{alert['id']}/ack", json={"note": NOTE},
                        auth=(OFFICER, PASSWORD), timeout=10)
    assert ack.status_code == 200, ack.text

    log_in(page, server, "/alerts")
    page.click("#console-filter-all")
    link = page.locator(f'tr[data-alert="{alert["id"]}"] a.console-case')
    link.wait_for(timeout=20000)
    assert link.get_attribute("href") == f"/case/incident/{LIVE}"
    link.click()
    page.wait_for_url(f"**/case/incident/{LIVE}")
    page.locator(".case-timeline").wait_for()
    note_row = page.locator(".case-type-alert_acknowledged")
    assert NOTE in note_row.inner_text() and OFFICER in note_row.inner_text()
    assert "预警签收" in note_row.inner_text()
    assert "城管" in page.locator(".case-department-clocks").inner_text()
    times = page.locator(".case-timeline .case-time").all_inner_texts()
    reported = datetime.fromisoformat(iso(0)).astimezone(timezone(timedelta(hours=8))) - timedelta(minutes=30)
    assert times[0][:13] == reported.strftime("%Y-%m-%d %H")  # district time, whatever the browser's zone
    OUTPUT_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT_DIR / "case-file.png"))
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    assert page.locator(".case-actions").is_hidden()
    page.screenshot(path=str(OUTPUT_DIR / "case-file-print.png"), full_page=True)
    page.emulate_media(media="screen")

    page.goto(f"{server.url}/trends?unit=tongliang&range=custom&from=2026-03-01&to=2026-03-31")
    row = page.locator('#trends-departments tr[data-department="housing_construction"]')
    row.wait_for(timeout=60000)
    overdue = row.locator("a.scorecard-case")
    assert overdue.all_inner_texts() == ["M-OVERDUE"]
    assert page.locator("#trends-departments .scorecard-row").count() == 3
    page.locator("#trends-panel-departments").scroll_into_view_if_needed()
    page.screenshot(path=str(OUTPUT_DIR / "scorecard.png"))
    overdue.click()
    page.wait_for_url("**/case/incident/M-OVERDUE")
    assert "住建" in page.locator(".case-facts").inner_text()
    # English on request, district time still
    page.goto(f"{server.url}/case/incident/{LIVE}?lang=en")
    page.locator(".case-timeline").wait_for()
    assert page.locator(".case-timeline h2").inner_text() == "Timeline"
    assert "Alert acknowledged" in page.locator(".case-type-alert_acknowledged").inner_text()
    page.screenshot(path=str(OUTPUT_DIR / "case-file-en.png"))
