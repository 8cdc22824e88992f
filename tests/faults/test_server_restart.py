"""A server process is SIGKILLed and started again on the same port while its
clients stay open.

Claim: its socket clients and its wall reconnect by themselves and resume
after their last seq, so every event accepted meanwhile (by the other server)
reaches them, none twice, and the wall shows each once.
"""
from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.faults.clients import GapFollowingClient
from tests.faults.conftest import wait_subscribed
from tests.faults.processes import kill_and_restart
from tests.faults.traffic import Poster, assert_wall_shows_each_once
from tests.helpers import COMMUNITY, DISTRICT

LIVE = "实时"


def test_a_killed_server_comes_back_and_its_clients_lose_nothing(pair_on_redis, own_redis, tall_page, output_dir):
    a, b = pair_on_redis
    clients = {
        "B district (per event)": GapFollowingClient(b.url, DISTRICT, reconnect=True).connect(),
        "B community (batch)": GapFollowingClient(b.url, COMMUNITY, batch=True, reconnect=True).connect(),
    }
    wait_subscribed(own_redis, 1)
    page = tall_page
    page.goto(f"{b.url}/wall/{COMMUNITY}")
    expect(page.locator("#wall-connection")).to_have_text(LIVE, timeout=20000)

    poster = Poster(a).start()
    try:
        time.sleep(2)
        poster.phase = "down"
        back = kill_and_restart(b, down_s=2.0)
        poster.phase = "after"
        caught_up = {}
        for name, c in clients.items():
            target = poster.seqs()
            c.wait(lambda: target <= c.distinct_seqs(), 20, f"{name}: the events posted while B was down")
            caught_up[name] = time.monotonic() - back
        time.sleep(2)
    finally:
        poster.stop()

    assert not poster.refused, poster.refused
    assert poster.seqs("down"), poster.accepted
    everything = poster.seqs()
    for name, c in clients.items():
        c.wait(lambda: everything <= c.distinct_seqs(), 10, f"{name}: every event")
        assert c.distinct_seqs() == everything, (name, sorted(c.distinct_seqs() ^ everything))
        assert c.connects >= 2, (name, c.connects)
        if not c.batch:
            assert c.duplicates() == {}, (name, c.duplicates())
    expect(page.locator("#wall-connection")).to_have_text(LIVE, timeout=20000)
    assert_wall_shows_each_once(page, poster.titles(), output_dir / "fault-server-restart-wall.png")
    print(f"\nserver killed and restarted: {len(everything)} events ({len(poster.seqs('down'))} while B was down); "
          "caught up after B answered again: " + ", ".join(f"{n} {t:.2f} s" for n, t in caught_up.items()) +
          "; batch duplicates dropped by seq: " + ", ".join(f"{n} {len(c.duplicates())}" for n, c in clients.items()))
    for c in clients.values():
        c.disconnect()
