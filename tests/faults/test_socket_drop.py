"""A wall's socket (and a plain client's) drops for a while; events go on.

Claims:
- dropped for 2 s: both catch up on reconnect (resume after their last seq),
  each event once, and the wall says nothing about a reload;
- dropped for longer than the replay window (DASHBOARD_REPLAY_LIMIT messages;
  30 here, so the test does not wait 11 minutes): the server answers `resync`,
  the wall reloads its snapshot and says so — never silently stale — and shows
  every event once.
"""
from __future__ import annotations

import time

import pytest
import requests
from playwright.sync_api import expect

from tests.faults.traffic import assert_wall_shows_each_once
from tests.helpers import AUTH, COMMUNITY, DISTRICT, GRID, LiveClient, incident, unique

LIVE = "实时"
RESYNC_NOTICE = "断线过久"  # "断线过久，已重新载入全量数据": the gap was too long to replay
REPLAY_LIMIT = 30


def post_titles(server, n: int) -> tuple[list[int], list[str]]:
    titles = [unique("掉线") for _ in range(n)]
    r = requests.post(server.url + "/api/v1/events", headers=AUTH, timeout=10,
                      json=[incident(unit=GRID, title=t, priority=1, category="safety_hazard") for t in titles])
    assert r.status_code == 202, r.text
    return [x["seq"] for x in r.json()["results"]], titles


@pytest.mark.parametrize("missed, resync", [(5, False), (REPLAY_LIMIT + 5, True)],
                         ids=["2 s drop: caught up", "beyond the replay window: resync"])
def test_a_dropped_socket_catches_up_or_resyncs_and_says_so(missed, resync, live_server, tall_page, output_dir):
    server = live_server("drop", env={"DASHBOARD_REPLAY_LIMIT": str(REPLAY_LIMIT)})
    page = tall_page
    page.goto(f"{server.url}/wall/{COMMUNITY}")
    expect(page.locator("#wall-connection")).to_have_text(LIVE, timeout=20000)
    plain = LiveClient(server.url, DISTRICT).connect()
    seqs, titles = post_titles(server, 2)
    plain.wait_seqs(seqs)
    expect(page.locator("#wall-open-items")).to_contain_text(titles[-1], timeout=10000)

    plain.disconnect()
    page.evaluate("window.wall.feed.socket.disconnect()")
    dropped = time.monotonic()
    more_seqs, more_titles = post_titles(server, missed)
    time.sleep(max(0.0, 2 - (time.monotonic() - dropped)))

    again = LiveClient(server.url, DISTRICT).connect()
    ack = again.resume(after=max(plain.seqs()))
    page.evaluate("window.wall.feed.socket.connect()")
    expect(page.locator("#wall-connection")).to_have_text(LIVE, timeout=20000)
    if resync:
        assert ack.get("resync") is True and "resync" in again.names(), ack
        assert again.seqs() == []  # nothing replayed: the client reloads its snapshot instead
        expect(page.locator("body")).to_contain_text(RESYNC_NOTICE, timeout=10000)
    else:
        again.wait_seqs(more_seqs)
        assert again.seqs() == more_seqs, (again.seqs(), more_seqs)  # in order, once each
        assert ack["replayed"] == missed
        assert RESYNC_NOTICE not in page.locator("body").inner_text()
    shot = output_dir / f"fault-socket-drop-{'resync' if resync else 'resume'}.png"
    assert_wall_shows_each_once(page, titles + more_titles, shot)
    again.disconnect()
