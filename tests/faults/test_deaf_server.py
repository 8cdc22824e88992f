"""A server's Redis subscription is killed (`CLIENT KILL TYPE pubsub`).

Claim: the deaf server notices within seconds, subscribes again and asks its
clients to resume, so a client on it receives every event posted to the other
server meanwhile, once each; /healthz never wavers.
"""
from __future__ import annotations

import time

import requests

from tests.faults.clients import GapFollowingClient
from tests.faults.conftest import wait_subscribed
from tests.helpers import AUTH, DISTRICT, GRID, incident, unique


def post(server, n: int) -> list[int]:
    r = requests.post(server.url + "/api/v1/events", headers=AUTH, timeout=10,
                      json=[incident(unit=GRID, title=unique("聋")) for _ in range(n)])
    assert r.status_code == 202, r.text
    return [x["seq"] for x in r.json()["results"]]


def test_a_server_whose_subscription_is_killed_notices_and_heals(pair_on_redis, own_redis):
    a, b = pair_on_redis
    on_b = GapFollowingClient(b.url, DISTRICT).connect()
    on_b_batch = GapFollowingClient(b.url, DISTRICT, batch=True).connect()
    wait_subscribed(own_redis, 1)  # A has no client: it only publishes
    before = post(a, 2)
    on_b.wait_seqs(before)
    posted = list(before)
    for _ in range(3):  # killed again and again: each time it heals
        with own_redis.client() as r:
            killed = r.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        assert killed == 1, killed
        started = time.monotonic()
        posted += post(a, 3)  # published while nobody listens: lost to B's clients unless B notices
        for c in (on_b, on_b_batch):
            c.wait(lambda: set(posted) <= c.distinct_seqs(), 10, "the events posted while B was deaf")
        healed = time.monotonic() - started
        assert requests.get(b.url + "/healthz", timeout=5).status_code == 200
        print(f"\ndeaf server: healed and caught up in {healed:.2f} s")
    assert on_b.duplicates() == {}, on_b.duplicates()
    assert sorted(on_b.distinct_seqs()) == sorted(posted)
    assert len(on_b.gaps) >= 3 and all(g["reason"] == "subscription" for g in on_b.gaps), on_b.gaps
    assert "subscription restored" in b.log_text()
    on_b.disconnect()
    on_b_batch.disconnect()


def test_a_subscription_that_stops_hearing_its_own_pings_is_reconnected(own_redis, monkeypatch):
    """Claim: a subscription that stays connected but hears nothing (a half-open
    link no error reveals) is noticed by the 1-s ping not coming back within
    DEAF_AFTER_S, reconnected, and its clients told `gap`. (The deafness is
    made by dropping the pongs as they arrive; Redis and the link are real.)"""
    import socketio

    from dashboard.realtime.redis_manager import DEAF_AFTER_S, HealthyRedisManager
    from tests.helpers import wait_for

    manager = HealthyRedisManager(own_redis.url, "deaf-test")
    socketio.Server(async_mode="threading", client_manager=manager)
    manager.initialize()
    wait_for(lambda: manager.status()["subscribed"], 10, "the first subscription")
    wait_for(lambda: manager.status()["pong_age_s"] < 1.5 and manager._ping_count >= 2, 10, "pongs")
    monkeypatch.setattr(manager, "_on_ping", lambda data: None)  # from now on it hears nothing
    deaf_at = time.monotonic()
    wait_for(lambda: manager._subscriptions >= 2, DEAF_AFTER_S + 5, "a forced re-subscription")
    noticed = time.monotonic() - deaf_at
    assert manager.gaps_sent == 1 and manager.status()["subscribed"]
    assert noticed <= DEAF_AFTER_S + 3, noticed  # "within seconds"
    print(f"\nsilent subscription noticed and re-subscribed after {noticed:.1f} s")
