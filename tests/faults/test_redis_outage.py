"""Redis dies for 10 s mid-stream and comes back on the same port.

Claim: every event accepted during and after the outage reaches every client
of both server processes — per-event and batch socket clients, and a wall in
Chromium — within seconds of Redis' return, none twice; while Redis is away
/readyz answers 503 naming it, and 200 again after; the log says so once per
interval, not once per message. (Server B's subscription broke: it tells its
clients `gap` once it is back; A's publishes failed: it tells every client.)
"""
from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.faults.clients import GapFollowingClient
from tests.faults.conftest import wait_subscribed
from tests.faults.traffic import Poster, assert_wall_shows_each_once, readyz
from tests.helpers import COMMUNITY, DISTRICT, STREET, wait_for

LIVE = "实时"
OUTAGE_S = 10.0


def test_nothing_is_lost_when_redis_dies_for_10_s(pair_on_redis, own_redis, tall_page, output_dir):
    a, b = pair_on_redis
    clients = {
        "B district (per event)": GapFollowingClient(b.url, DISTRICT).connect(),
        "B community (batch)": GapFollowingClient(b.url, COMMUNITY, batch=True).connect(),
        "A street (per event)": GapFollowingClient(a.url, STREET).connect(),
    }
    wait_subscribed(own_redis, 2)
    page = tall_page
    page.goto(f"{b.url}/wall/{COMMUNITY}")
    expect(page.locator("#wall-connection")).to_have_text(LIVE, timeout=20000)

    poster = Poster(a).start()
    try:
        time.sleep(2.5)
        poster.phase = "outage"
        own_redis.kill()
        for server in (a, b):
            status, body = wait_for(lambda: (lambda s: s if s[0] == 503 else None)(readyz(server)), 5,
                                    f"{server.name} /readyz to answer 503")
            assert body["unavailable"] == ["redis"] and body["database"] == "ok", body
        time.sleep(OUTAGE_S - (time.monotonic() % 1) * 0)  # the rest of the outage, posting all along
        own_redis.start()
        back = time.monotonic()
        poster.phase = "after"
        for server in (a, b):
            wait_for(lambda: readyz(server)[0] == 200, 5, f"{server.name} /readyz back to 200")
        # every event accepted up to Redis' return, on every client: how long after it?
        until_back = poster.seqs()
        caught_up = {}
        for name, c in clients.items():
            c.wait(lambda: until_back <= c.distinct_seqs(), 15, f"{name}: the events of the outage")
            caught_up[name] = time.monotonic() - back
        time.sleep(3)
    finally:
        poster.stop()

    assert not poster.refused, poster.refused  # ingest never depended on Redis
    assert poster.seqs("outage") and poster.seqs("after"), poster.accepted
    everything = poster.seqs()
    for name, c in clients.items():
        c.wait(lambda: everything <= c.distinct_seqs(), 10, f"{name}: every event")
        assert c.distinct_seqs() == everything, (name, sorted(c.distinct_seqs() ^ everything))
        if not c.batch:
            assert c.duplicates() == {}, (name, c.duplicates())
    assert any(c.gaps for c in clients.values() if c.url == b.url), "B never told its clients to resume"

    assert_wall_shows_each_once(page, poster.titles(), output_dir / "fault-redis-outage-wall.png")

    for server in (a, b):
        log = server.log_text()
        assert log.count("redis: cannot publish") + log.count("redis: cannot receive") <= 12, log[-3000:]
    print(f"\nredis outage {OUTAGE_S:.0f} s: {len(everything)} events "
          f"({len(poster.seqs('outage'))} during, {len(poster.seqs('after'))} after); caught up after Redis' "
          f"return: " + ", ".join(f"{n} {t:.2f} s" for n, t in caught_up.items()) +
          "; duplicates (batch, dropped by seq): " +
          ", ".join(f"{n} {len(c.duplicates())}" for n, c in clients.items()))
    for c in clients.values():
        c.disconnect()


def test_a_process_that_only_announces_reports_its_lost_publishes_as_a_gap(own_redis):
    """Claim: a worker or consumer (it announces through Redis and serves nobody)
    whose publishes fail while Redis is away publishes, once Redis is back, a
    `gap` to every client of every server, resuming just below the first lost seq."""
    import json

    from dashboard.realtime.queue_announcer import QueueSink

    sink = QueueSink(own_redis.url)
    own_redis.kill()
    sink.emit("event", {"seq": 42, "unit": "x"}, "u:tongliang")
    sink.emit("event", {"seq": 43, "unit": "x"}, "u:tongliang")
    own_redis.start()
    listener = own_redis.client().pubsub(ignore_subscribe_messages=True)
    listener.subscribe("dashboard")
    deadline = time.monotonic() + 10
    gap = None
    while gap is None and time.monotonic() < deadline:
        message = listener.get_message(timeout=0.5)
        if message and not message["data"].startswith(b"ping:"):
            gap = json.loads(message["data"])
    listener.close()
    assert gap is not None, "no gap published within 10 s of Redis' return"
    assert (gap["event"], gap["namespace"], gap["room"], gap["data"]) == \
        ("gap", "/live", None, [{"reason": "publish", "after": 41}])
