"""The grouped console in Chromium with the browser's clock in UTC: district
times, a surge labelled as a surge, case-file links, a whole group
acknowledged with one note, and a notification (asked for by a button, not
on load) for a new alert at the user's level that opens the case file."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.live_api import add_users, ago, get_json, open_console, post_events, reported, server_env
from tests.fixtures import GRID, GRID2, SIBLING_GRID, STREET, policy
from tests.helpers import OUTPUT_DIR, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.browser]

USER = "bachuan-staff"
CST = timezone(timedelta(hours=8))
# Alerts at once, no escalation while the test clicks; priority 1 starts at the street (the user's level);
# three parking reports in one grid within the hour are a surge.
POLICY = policy(sweep="1s", escalate="30m", incident="{acknowledge: 2s, arrive: 4h, resolve: 24h}",
                priority={1: "{acknowledge: 2s, arrive: 4h, resolve: 24h, start_level: street}"})

# Runs before the page's scripts: a Notification that records what the console does with it.
FAKE_NOTIFICATION = """
window.__asked = 0; window.__notes = [];
class FakeNotification {
  constructor(title, options) { this.title = title; this.body = options.body; this.tag = options.tag; window.__notes.push(this); }
  close() { this.closed = true; }
}
FakeNotification.permission = "default";
FakeNotification.requestPermission = () => { window.__asked += 1; FakeNotification.permission = "granted"; return Promise.resolve("granted"); };
window.Notification = FakeNotification;
"""


def active_alerts(url: str) -> list[dict]:
    return get_json(url, "/api/v1/alerts", unit=STREET, state="active")["alerts"]


def district_time(iso: str) -> str:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(CST).strftime("%m-%d %H:%M")


def test_grouped_console_acknowledges_a_group_with_a_note(live_server, sqlite_url, browser, tmp_path):
    add_users(sqlite_url, {USER: ("staff", STREET)})
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    server = live_server("console", server_env(policy), database_url=sqlite_url)
    # Raised three hours ago in district time: a UTC browser that showed its own clock would be 8 hours off.
    parking = [reported(GRID, category="parking", occurred_at=ago(3 * 3600 + i)) for i in range(3)]
    post_events(server.url, parking + [reported(SIBLING_GRID, category="sanitation", occurred_at=ago(3 * 3600))])
    alerts = wait_for(lambda: (lambda a: a if len(a) == 5 else None)(active_alerts(server.url)), timeout=20,
                      message="four deadline alerts and one surge")
    surge = next(a for a in alerts if a["stage"] == "surge")
    zhengjie = [a for a in alerts if a["unit"] == GRID]      # three deadline alerts and the surge
    jinlong = [a for a in alerts if a["unit"] == SIBLING_GRID]
    assert len(zhengjie) == 4 and len(jinlong) == 1

    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US", timezone_id="UTC")
    context.add_init_script(FAKE_NOTIFICATION)
    try:
        page = open_console(context, server.url, USER)
        page.wait_for_function("() => document.querySelectorAll('#console-rows tr[data-alert]').length === 5")
        assert page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone") == "UTC"

        # one clock: every time is district time; the header clock too
        for a in alerts:
            row = page.locator(f'#console-rows tr[data-alert="{a["id"]}"]')
            assert row.locator(".console-time").text_content() == district_time(a["raised_at"])
            assert row.locator("a.console-case").get_attribute("href") == f"/case/{a['kind']}/{a['ref']}"
            assert row.locator(".console-due").text_content().startswith("已超时")
        shown = page.locator("#console-clock").text_content()
        near = {(datetime.now(CST) + timedelta(seconds=s)).strftime("%H:%M") for s in (-60, 0)}
        assert shown[:5] in near, (shown, near)

        # a surge says so
        surge_row = page.locator(f'#console-rows tr[data-alert="{surge["id"]}"]')
        assert surge_row.locator(".console-state").text_content() == "聚集性突发预警"
        assert surge_row.locator(".console-stage").text_content() == "同类事件聚集"
        assert "超时预警" not in surge_row.text_content()

        # grouped by level (default): district (the surge), community (four deadline alerts), with counts
        groups = page.locator("#console-rows .console-group")
        assert [(groups.nth(i).locator(".console-group-label").text_content(),
                 groups.nth(i).locator(".console-group-count").text_content()) for i in range(groups.count())] == \
            [("社区", "4"), ("区级", "1")]   # the group whose deadline passed longest ago first
        page.screenshot(path=str(OUTPUT_DIR / "console-grouped-by-level.png"))

        # group by unit below the street: 正街社区 (4) and 金龙社区 (1)
        page.click('[data-group="unit"]')
        page.wait_for_function("() => document.querySelectorAll('#console-rows .console-group').length === 2")
        labels = {groups.nth(i).locator(".console-group-label").text_content():
                  groups.nth(i).locator(".console-group-count").text_content() for i in range(2)}
        assert labels == {"正街社区": "4", "金龙社区": "1"}, labels
        assert page.locator("#console-summary .console-chip").all_text_contents() == ["正街社区4", "金龙社区1"]
        page.screenshot(path=str(OUTPUT_DIR / "console-grouped-by-unit.png"))

        # select the whole 正街 group, write one note, acknowledge
        group = page.locator('#console-rows .console-group[data-group="unit:bachuan-zhengjie"]')
        group.locator(".console-group-select").check()
        assert page.locator("#console-selected").text_content() == "4"
        page.fill("#console-bulk-note input", "统一派员处置")
        page.screenshot(path=str(OUTPUT_DIR / "console-group-selected.png"))
        page.click("#console-bulk-ack")
        group.wait_for(state="detached")
        assert page.locator("#console-message").text_content() == "已处理： 4"
        assert page.locator("#console-selected").text_content() == "0"
        after = {a["id"]: a for a in active_alerts(server.url)}
        assert {(after[a["id"]]["state"], after[a["id"]]["acknowledged_by"], after[a["id"]]["ack_note"])
                for a in zhengjie} == {("acknowledged", USER, "统一派员处置")}
        assert after[jinlong[0]["id"]]["state"] == "raised"
        # "all active" still lists them, acknowledged
        page.click('[data-filter="active"]')
        page.wait_for_function("() => document.querySelectorAll('#console-rows tr[data-alert]').length === 5")
        assert page.locator(f'#console-rows tr[data-alert="{surge["id"]}"] .console-state').text_content() \
            .startswith("预警签收")

        # notifications: not asked on load; the button asks once; a new street-level alert is announced
        assert page.evaluate("() => window.__asked") == 0
        button = page.locator("#console-notify")
        assert button.is_visible() and button.text_content() == "开启桌面通知"
        button.click()
        page.wait_for_function("() => document.getElementById('console-notify').disabled")
        assert page.evaluate("() => window.__asked") == 1
        assert button.text_content() == "桌面通知已开启"
        community_level = reported(GRID2, category="sanitation", occurred_at=ago(10))   # community level: not ours
        urgent = reported(GRID2, priority=1, category="safety_hazard", occurred_at=ago(10), title="燃气泄漏")
        post_events(server.url, [community_level, urgent])
        page.wait_for_function("() => window.__notes.length >= 1", timeout=20000)
        page.wait_for_function("() => document.querySelectorAll('#console-rows tr[data-alert]').length === 7")
        notes = page.evaluate("() => window.__notes.map(n => [n.title, n.body])")
        assert notes == [["新预警 · 超时预警", "正街社区第2网格 · 签收超时 · 燃气泄漏"]], notes
        with context.expect_page() as opened:
            page.evaluate("() => window.__notes[0].onclick()")
        assert opened.value.url == f"{server.url}/case/incident/{urgent['ref']}"
    finally:
        context.close()


# Ten alerts of one community handed to the console as live messages (browser side only).
TEN_ALERTS = """() => {
  const c = window.alertConsole, now = Date.now();
  for (let i = 0; i < 10; i++) c.apply({id: 900000 + i, seq: 900000 + i, state: "raised", action: "raised",
    level: "community", unit: "bachuan-yuquan-g01", kind: "incident", ref: "FAKE-" + i, stage: "acknowledge",
    category: "parking", title: "t" + i, raised_at: new Date(now - 60e3 + 1000 * i).toISOString(),
    due_at: new Date(now - 1000 * (10 - i)).toISOString(), at: new Date(now - 3600e3).toISOString()});
}"""


def test_a_long_group_shows_eight_rows_until_expanded_and_selects_all(live_server, sqlite_url, browser, tmp_path):
    add_users(sqlite_url, {USER: ("staff", STREET)})
    server = live_server("console-long", database_url=sqlite_url)
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US", timezone_id="UTC")
    try:
        page = open_console(context, server.url, USER)
        page.wait_for_function("() => window.alertConsole && window.alertConsole.live")
        page.click('[data-group="unit"]')
        page.evaluate(TEN_ALERTS)
        group = page.locator('#console-rows .console-group[data-group="unit:bachuan-yuquan"]')
        assert group.locator("tr[data-alert]").count() == 8
        more = group.locator(".console-group-more")
        assert more.text_content() == "展开全部 (10)"
        # most overdue first: the earliest deadline (FAKE-0) heads the group
        assert group.locator("tr[data-alert]").first.get_attribute("data-alert") == "900000"
        group.locator(".console-group-select").check()
        assert page.locator("#console-selected").text_content() == "10"
        more.click()
        assert group.locator("tr[data-alert]").count() == 10 and more.text_content() == "收起"
        assert group.locator(".console-select:checked").count() == 10
        page.click('[data-sort="newest"]')   # the latest raised (FAKE-9) first
        assert group.locator("tr[data-alert]").first.get_attribute("data-alert") == "900009"
        group.locator(".console-group-select").uncheck()
        assert page.locator("#console-selected").text_content() == "0"
        assert page.locator("#console-bulk-ack").is_disabled()
    finally:
        context.close()
