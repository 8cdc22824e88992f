"""The network between the walls and the server is cut for 130 s while events go on.

Unlike a socket closed by its own side (test_socket_drop.py), nobody is told:
the proxy swallows every byte both ways. Claims:
- the wall stops saying 实时 (live) and says 链路无响应 (link silent) once
  1.5 ping intervals (15 s) pass without a ping or a message — before
  Engine.IO itself gives up (10 s pings + 20 s to answer): stale is never silent;
- after the cut heals, the wall and a plain Socket.IO client that reconnects
  and resumes get every event posted during the cut, once each, in order (the
  plain client), within seconds.
"""
from __future__ import annotations

import time

import requests
from playwright.sync_api import expect

from tests.faults.clients import GapFollowingClient
from tests.faults.netcut import CuttableProxy
from tests.faults.traffic import assert_wall_shows_each_once
from tests.helpers import AUTH, COMMUNITY, DISTRICT, GRID, incident, unique, wait_for

LIVE = "实时"
CUT_S = 130
POST_EVERY_S = 10
SILENT_AFTER_S = 1.5 * 10  # 1.5 of the server's ping intervals (assets/live.js)
LINK_SILENT = "链路无响应"


def post(server) -> tuple[int, str]:
    title = unique("断网")
    r = requests.post(server.url + "/api/v1/events", headers=AUTH, timeout=10,
                      json=incident(unit=GRID, title=title, priority=1, category="safety_hazard"))
    assert r.status_code == 202, r.text
    return r.json()["results"][0]["seq"], title


def test_a_130_s_network_cut_is_shown_and_caught_up(live_server, tall_page, output_dir):
    server = live_server("cut")
    proxy = CuttableProxy(server.port)
    page = tall_page
    client = GapFollowingClient(proxy.url, DISTRICT, reconnect=True)
    try:
        page.goto(f"{proxy.url}/wall/{COMMUNITY}")
        badge = page.locator("#wall-connection")
        expect(badge).to_have_text(LIVE, timeout=20000)
        client.connect()
        before = [post(server) for _ in range(2)]
        wait_for(lambda: {s for s, _ in before} <= client.distinct_seqs(), 10, "the events before the cut")

        proxy.cut()
        cut_at = time.monotonic()
        during: list[tuple[int, str]] = []
        noticed_after, first_text = None, None
        while time.monotonic() - cut_at < CUT_S:
            during.append(post(server))
            deadline = min(time.monotonic() + POST_EVERY_S, cut_at + CUT_S)
            while time.monotonic() < deadline:
                text = badge.inner_text()
                if noticed_after is None and text != LIVE:
                    noticed_after, first_text = time.monotonic() - cut_at, text
                time.sleep(0.5)
        assert noticed_after is not None and noticed_after <= SILENT_AFTER_S + 3, noticed_after
        assert first_text == LINK_SILENT, first_text
        assert client.distinct_seqs().isdisjoint(s for s, _ in during)  # the cut really cut

        proxy.heal()
        healed = time.monotonic()
        expect(badge).to_have_text(LIVE, timeout=30000)
        wanted = [s for s, _ in before + during]
        wait_for(lambda: set(wanted) <= client.distinct_seqs(), 30, "every event on the plain client")
        caught_up = time.monotonic() - healed
        assert client.duplicates() == {}
        seqs = [s for s in client.seqs() if s in set(wanted)]
        assert seqs == sorted(seqs), seqs
        assert_wall_shows_each_once(page, [t for _, t in before + during], output_dir / "fault-network-cut.png")
        print(f"noticed after {noticed_after:.1f} s; {len(during)} events during the cut; "
              f"caught up {caught_up:.1f} s after the heal")
    finally:
        client.disconnect()
        proxy.close()
