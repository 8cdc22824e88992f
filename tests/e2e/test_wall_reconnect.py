"""A wall that loses its server says so, and when the server is back shows
every event it missed, once and in order (CONTRACT "Live push": resume). When
the gap is too large to replay, it loads a fresh snapshot and says that too."""
from __future__ import annotations

import pytest

from dashboard.realtime.live import REPLAY_LIMIT
from tests.helpers import COMMUNITY, GRID, GRID2, free_port
from tests.e2e.walls import event, get, open_wall, post, reported

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def ticker_seqs(page) -> list[int]:
    return page.evaluate("() => Array.from(document.querySelectorAll('#wall-ticker li')).map(li => Number(li.dataset.seq))")


def test_reconnect_shows_every_missed_event_once_in_order(server_on_port, sqlite_url, page, shots):
    port = free_port()
    server = server_on_port("first", port, database_url=sqlite_url)
    open_wall(page, server.url, COMMUNITY)
    before = post(server.url, reported(GRID, title="断线前"))
    page.locator(f'#wall-ticker li[data-seq="{before[0]}"]').wait_for(state="attached", timeout=5000)

    server.stop()
    page.wait_for_function("() => window.wall.state === 'reconnecting'", timeout=15000)
    assert page.locator("#wall-connection").text_content() == "重连中"
    page.screenshot(path=str(shots / "community-reconnecting-1920x1080.png"))

    # a second server on the same database takes the events while the wall is away
    other = server_on_port("second", free_port(), database_url=sqlite_url)
    missed = []
    for i in range(12):
        missed += post(other.url, reported(GRID if i % 2 else GRID2, title=f"断线期间 {i + 1:02d}"))
    other.stop()

    again = server_on_port("first-again", port, database_url=sqlite_url)
    page.wait_for_function("() => window.wall.state === 'live'", timeout=30000)
    page.wait_for_function(f"() => document.querySelector('#wall-ticker li[data-seq=\"{missed[-1]}\"]')", timeout=10000)
    seqs = ticker_seqs(page)
    shown = [s for s in seqs if s in set(missed)]
    assert shown == sorted(missed, reverse=True), "each missed event once, newest on top, in seq order"
    assert len(seqs) == len(set(seqs)), "no message shown twice"
    rows = page.evaluate("() => Array.from(document.querySelectorAll('#wall-open-items li')).map(li => li.dataset.ref)")
    open_refs = [i["ref"] for i in get(again.url, "/api/v1/incidents", unit=COMMUNITY)["incidents"]]
    assert sorted(rows) == sorted(open_refs)
    assert page.locator('[data-kpi="incident"] .kpi-value').text_content() == str(len(open_refs))


def test_a_gap_too_large_to_replay_loads_a_fresh_snapshot_and_says_so(server_on_port, sqlite_url, page):
    port = free_port()
    server = server_on_port("first", port, database_url=sqlite_url)
    open_wall(page, server.url, COMMUNITY)
    snapshots = []
    page.on("request", lambda r: snapshots.append(r.url) if "/api/v1/walls/" in r.url else None)
    server.stop()
    page.wait_for_function("() => window.wall.state === 'reconnecting'", timeout=15000)

    # more messages than the server replays: incidents reported and resolved at once
    other = server_on_port("bulk", free_port(), database_url=sqlite_url)
    still_open = post(other.url, reported(GRID2, title="断线期间 仍在办"))
    for _ in range(REPLAY_LIMIT // 1000 + 1):
        batch = []
        for _ in range(500):
            ev = reported(GRID, priority=4, title="批量")
            batch += [ev, event("incident", "resolved", GRID, ev["ref"])]
        post(other.url, batch)
    other.stop()

    again = server_on_port("first-again", port, database_url=sqlite_url)
    page.wait_for_function("() => window.wall.state === 'live'", timeout=60000)
    notice = page.locator("#wall-notice")
    notice.wait_for(state="visible", timeout=10000)
    assert "重新载入" in notice.text_content()
    assert len(snapshots) == 1, "one fresh snapshot, not a replay of the gap"
    want = get(again.url, "/api/v1/incidents", unit=COMMUNITY)
    assert page.locator('[data-kpi="incident"] .kpi-value').text_content() == str(want["count"])
    assert still_open and page.locator('#wall-open-items li[data-ref]').count() == want["count"]
